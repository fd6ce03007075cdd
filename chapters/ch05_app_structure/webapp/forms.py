from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError


def no_nul_character(form, field):
    # PostgreSQL refuses text holding a NUL character: a form error, not a database error.
    if isinstance(field.data, str) and '\x00' in field.data:
        raise ValidationError('This field cannot hold a NUL character.')


class BlogForm(FlaskForm):
    """The blog's forms: every field also refuses a NUL character, after its own validators."""

    def validate(self, extra_validators=None):
        extra = dict(extra_validators or {})
        for name in self._fields:
            extra[name] = [*extra.get(name, ()), no_nul_character]
        return super().validate(extra)


class CommentForm(BlogForm):
    name = StringField(
        'Name',
        validators=[DataRequired(), Length(max=255)]
    )
    # A comment is short: a sensible limit, said in a form error (the column itself is unbounded).
    text = TextAreaField(u'Comment', validators=[DataRequired(), Length(max=10000)])
