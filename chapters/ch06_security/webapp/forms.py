from flask import current_app
from flask_ckeditor import CKEditorField
from flask_wtf import FlaskForm, RecaptchaField
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from webapp.models import (BCRYPT_MAX_BYTES, USERNAME, USERNAME_RULE, USERNAME_TAKEN,
                            spend_a_password_check, user_named)


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


class LogoutForm(BlogForm):
    """Nothing but the CSRF token: another site cannot log a visitor out."""


class PostForm(BlogForm):
    title = StringField('Title', [DataRequired(), Length(max=255)])
    # HTML written in CKEditor (a textarea of class "ckeditor"), cleaned when saved (webapp/sanitize.py).
    text = CKEditorField('Content', [DataRequired(), Length(max=100000)])


# One message whether the username or the password is wrong: a different one would tell a
# stranger which usernames exist.
BAD_CREDENTIALS = 'Invalid username or password'


class LoginForm(BlogForm):
    username = StringField('Username', [DataRequired(), Length(max=255)])
    password = PasswordField('Password', [DataRequired()])
    remember = BooleanField('Remember Me')

    def validate(self, extra_validators=None):
        # The book's own validate: the fields' validators first, then the credentials.
        if not super().validate(extra_validators):
            return False

        user = user_named(self.username.data)
        if user is None:
            spend_a_password_check()
            self.username.errors.append(BAD_CREDENTIALS)
            return False
        if not user.check_password(self.password.data):
            self.username.errors.append(BAD_CREDENTIALS)
            return False

        self.user = user
        return True


def at_most_bcrypt_bytes(form, field):
    # bcrypt reads only the first 72 bytes of a password; say so rather than cut it silently.
    if field.data and len(field.data.encode('utf-8')) > BCRYPT_MAX_BYTES:
        raise ValidationError(
            'A password can be at most {} bytes long (this one is {}): please choose a shorter one.'
            .format(BCRYPT_MAX_BYTES, len(field.data.encode('utf-8')))
        )


class RegisterForm(BlogForm):
    username = StringField('Username', [DataRequired(), Regexp(USERNAME, message=USERNAME_RULE)])
    password = PasswordField('Password', [DataRequired(), Length(min=8), at_most_bcrypt_bytes])
    confirm = PasswordField('Confirm Password', [
        DataRequired(),
        EqualTo('password', message='The two passwords differ')
    ])
    recaptcha = RecaptchaField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # reCAPTCHA only when its keys are configured (RECAPTCHA_PUBLIC_KEY, RECAPTCHA_PRIVATE_KEY).
        if not (current_app.config.get('RECAPTCHA_PUBLIC_KEY')
                and current_app.config.get('RECAPTCHA_PRIVATE_KEY')):
            del self.recaptcha

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False

        # `Alice` when `alice` exists is taken too. (Two registrations of one name at the same moment
        # both pass this check; the database's unique constraint stops the second: see register().)
        if user_named(self.username.data) is not None:
            self.username.errors.append(USERNAME_TAKEN)
            return False

        return True
