"""The book's admin (chapter 10, "Flask Admin" and "Securing Flask Admin"): a custom view, a model
view per model, the posts with a rich-text editor, and the static files; all of it for admins only.

create_app calls register_admin(app), which binds the `admin` of extensions.py to the app and adds
the views, made afresh for each app, as the book's create_app did.
"""
import os

from flask import abort, flash, redirect, request
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.contrib.fileadmin import FileAdmin
from flask_admin.contrib.sqla import ModelView
from flask_ckeditor import CKEditorField
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, Regexp

from webapp.extensions import admin, admin_permission, login_manager
from webapp.models import USERNAME, USERNAME_RULE, Comment, Post, Reminder, Role, Tag, User, db

# Flask-Admin's pages draw with inline styles (style= in its templates, and CKEditor's toolbar), and
# CKEditor 4's buttons call it with inline handlers (onclick="CKEDITOR.tools.callFunction(…)"): the
# admin's pages allow inline scripts and styles, nothing else changes (only this site's files,
# CKEditor from Flask-CKEditor's package). The blog's own pages keep the strict policy (webapp/__init__.py).
ADMIN_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
                "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
                "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


class AdminOnly:
    """The book's "Securing Flask Admin": every page of the view needs the admin role.

    Anonymous visitors go to the login page (and come back after it); a user without the role gets
    the blog's 403 page. Flask-Admin asks is_accessible before every page of a view, forms and
    AJAX calls included.
    """
    # Every form of the admin (create, edit, delete, actions, uploads) carries Flask-WTF's CSRF
    # token, as the blog's forms do; a POST without it is refused. (Flask-Admin's own SecureForm
    # would add a second, different csrf_token field: its templates also put Flask-WTF's in.)
    form_base_class = FlaskForm

    def is_accessible(self):
        return current_user.is_authenticated and admin_permission.can()

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()  # a redirect to /login?next=<this page>
        abort(403)

    def create_blueprint(self, admin):
        blueprint = super().create_blueprint(admin)

        @blueprint.after_request
        def admin_policy(response):
            response.headers['Content-Security-Policy'] = ADMIN_POLICY
            return response

        return blueprint


class AdminHome(AdminOnly, AdminIndexView):
    """/admin/: Flask-Admin's home page, with the menu of the views below."""


class CustomView(AdminOnly, BaseView):
    """The book's custom view: a page of our own inside the admin, and a second one it links to."""

    @expose('/')
    def index(self):
        return self.render('admin/custom.html')

    @expose('/second_page')
    def second_page(self):
        return self.render('admin/second_page.html')


class CustomModelView(AdminOnly, ModelView):
    """A model's list, search, create, edit and delete pages (the book's empty subclass)."""
    page_size = 50

    def handle_view_exception(self, exc):
        # A model's own check refused a value (a reminder's address, its text): said on the form,
        # in development too (Flask-Admin re-raises everything in debug mode).
        if isinstance(exc, ValueError):
            flash(str(exc), 'error')
            return True
        return super().handle_view_exception(exc)


class UserView(CustomModelView):
    # Neither the password's hash nor the session token is shown or edited here.
    column_list = ('username', 'roles', 'social_id')
    column_searchable_list = ('username',)
    form_columns = ('username', 'roles')
    # The registration form's rule: a name is part of its profile's URL.
    form_args = dict(username=dict(validators=[DataRequired(), Regexp(USERNAME, message=USERNAME_RULE)]))


class RoleView(CustomModelView):
    column_list = ('name', 'description')
    form_columns = ('name', 'description')


class TagView(CustomModelView):
    column_searchable_list = ('title',)
    form_columns = ('title',)


class CommentView(CustomModelView):
    column_list = ('post', 'name', 'text', 'date')
    column_searchable_list = ('name', 'text')
    column_filters = ('date',)
    form_columns = ('post', 'name', 'text', 'date')


class ReminderView(CustomModelView):
    column_searchable_list = ('email', 'text')
    column_filters = ('date',)
    form_columns = ('date', 'email', 'text')
    # A reminder without a date would never be sent: the form says so, next to the field (the
    # column may be NULL, so Flask-Admin would let it be empty).
    form_args = {'date': {'validators': [DataRequired(message='A reminder needs a date and time.')]}}


class PostView(CustomModelView):
    """The posts, their text written in CKEditor (served from Flask-CKEditor's package)."""
    column_list = ('title', 'user', 'publish_date')
    column_searchable_list = ('text', 'title')
    column_filters = ('publish_date',)
    form_columns = ('title', 'text', 'publish_date', 'user', 'tags')
    form_overrides = dict(text=CKEditorField)
    create_template = 'admin/post_create.html'
    edit_template = 'admin/post_edit.html'


class CustomFileAdmin(AdminOnly, FileAdmin):
    """The book's file admin over static/, kept inside it: a path with "..", an absolute one or one
    that leads out through a link answers 404, whatever it is asked to do with it."""
    # What may be uploaded: styles, images and text, no scripts or pages (no .js, .html, .svg).
    allowed_extensions = ('css', 'png', 'jpg', 'jpeg', 'gif', 'webp', 'ico', 'txt')
    editable_extensions = ('css', 'txt')

    def _normalize_path(self, path):
        if path is not None:
            parts = path.replace('\\', '/').split('/')
            if path.startswith('/') or '..' in parts or os.path.normpath(path) in ('.', '') \
                    or '\x00' in path:
                abort(404)
        base_path, directory, path = super()._normalize_path(path)
        base = os.path.realpath(base_path)
        if os.path.commonpath([base, os.path.realpath(directory)]) != base:
            abort(404)
        return base_path, directory, path

    # Flask-Admin's deprecated old URLs (/old_index, /old_b/<path>) are left out.
    index = None

    @expose('/rename/', methods=('GET', 'POST'))
    def rename(self):
        # Flask-Admin 2.2.1 answers a rename without a path with a 500 (basename of None).
        if not request.values.get('path'):
            return redirect(self.get_url('.index_view'))
        return super().rename()


def register_admin(app):
    """The admin at /admin for this app: its home page and every view below, new ones for each app.

    The book's create_app added the views to the one `admin` of the process, so that a second app
    (each test makes one) met the first app's views, and its tests emptied the list first
    (`admin._views = []`, a "bug workaround"). Here each app starts from an empty admin: the list,
    and the menu made from it, are emptied, then the views are added to this app. The workaround,
    if a test still runs it, changes nothing.
    """
    admin._views, admin._menu, admin._menu_categories, admin._menu_links = [], [], {}, []
    # No views yet: binds the admin to the app and registers nothing. (Flask-Admin 2.2's
    # init_app(app, index_view=...) on an empty admin would register the home page twice.)
    admin.init_app(app)
    admin.index_view = AdminHome()
    admin.add_view(admin.index_view)  # the first view: the menu's first entry, as Flask-Admin's own
    admin.add_view(CustomView(name='Custom'))
    for view, model in ((UserView, User), (RoleView, Role), (TagView, Tag),
                        (CommentView, Comment), (ReminderView, Reminder), (PostView, Post)):
        # Flask-Admin 2.2 takes the Flask-SQLAlchemy object (the book's db.session is deprecated).
        admin.add_view(view(model, db, category='Models'))
    admin.add_view(CustomFileAdmin(
        os.path.join(os.path.dirname(os.path.dirname(__file__)), 'static'),
        '/static/', name='Static Files'))
