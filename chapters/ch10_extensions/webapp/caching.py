"""The rules that keep the book's cache right (chapter 10): what it may keep, for whom, and when it is
thrown away. The views keep the book's decorators (`@cache.cached`, controllers/blog.py).

The book caches the home and post pages for 60 s and the sidebar for two hours, by URL alone. That is
wrong in three ways, each mended here:

1. A page drawn for one visitor (their name in the navigation bar) would be served to the next: only
   anonymous visitors' pages are shared (`personal`).
2. The post page's comment form would hold the CSRF token of whoever filled the cache, and every later
   comment would be refused: a cached page holds a placeholder, and each visitor gets their own token
   put in (`per_visitor_csrf`). A page whose drawing wrote to the visitor's session is not kept
   (`shareable`).
3. A new post or comment would show a minute later (in the sidebar, two hours): every key holds the
   blog's version, renewed after each commit that touches what pages show (`note_writes`), whichever
   way it is made (the forms, the REST API, `flask` commands, the admin).
"""
import functools
import logging
import secrets

from flask import current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, inspect

from webapp.extensions import cache
from webapp.models import Comment, Post, Tag, User, db

log = logging.getLogger(__name__)

VERSION_KEY = 'blog_version'
# In app.extensions: this process could not trust the version in the cache (it failed to store a new
# one after a write, or the cache was down), so it must store a new one before using the cache again.
VERSION_LOST = 'blog_version_lost'


def blog_version():
    """The blog's current version: a random word, new after every write.

    Random rather than a counter: if the cache loses the key (evicted, Redis restarted), the new word
    matches no page cached before, where a counter starting again at 0 would.

    While the cache is down this raises, and Flask-Caching draws the page without it. A write made
    meanwhile could not renew the version: when the cache is back, its pages and sidebar (those of
    before the write) would be served again for up to two hours. So after any failure this process
    stores a new version first, and uses the cache only once that has worked.
    """
    try:
        if current_app.extensions.get(VERSION_LOST):
            cache.set(VERSION_KEY, secrets.token_hex(8), timeout=0)
            current_app.extensions[VERSION_LOST] = False
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, secrets.token_hex(8), timeout=0)  # another process may be first
            version = cache.get(VERSION_KEY) or 'uncached'
        return version
    except Exception:
        current_app.extensions[VERSION_LOST] = True
        raise


def new_blog_version():
    try:
        cache.set(VERSION_KEY, secrets.token_hex(8), timeout=0)
    except Exception:
        # The cache is down (Redis): the write is committed; no page comes from the cache until a new
        # version is stored (blog_version).
        current_app.extensions[VERSION_LOST] = True
        log.exception('the cache did not take the blog\'s new version')


def page_key():
    """A page's key: its path and the blog's version. The version is read before the view queries
    the database, so a page drawn from older rows is stored under an older version.

    Not the query string: no view reads it (the page number is in the path, /blog/2), and with it
    in the key anyone could fill the cache with /blog/?1, /blog/?2…"""
    return 'page/{}{}'.format(blog_version(), request.path)


def sidebar_key():
    return 'sidebar_data/{}'.format(blog_version())


def personal():
    """Whether this request must not use the shared cache at all (`unless=` of @cache.cached).

    A signed-in user's page carries their name and their logout form; a POST (a comment) must run
    the view; a visitor with a flashed message waiting must see it, in a page drawn for them."""
    return (request.method != 'GET' or current_user.is_authenticated
            or '_flashes' in session)


def shareable(page):
    """Whether a page drawn for an anonymous visitor may be served to others (`response_filter=`).

    Only a page the view returned as HTML text: redirects and errors are drawn each time, and a
    Response object may set cookies. And only if drawing it left the visitor's session alone: a
    page that wrote to it (a message shown, a token made) was that visitor's."""
    return isinstance(page, str) and not session.modified


# Only letters and dashes: the same in HTML, in an attribute and in text.
CSRF_PLACEHOLDER = 'csrf-token-of-this-visitor'


def per_visitor_csrf(view):
    """Each visitor's own CSRF token in a page that may come from the cache.

    While the view runs, forms get a placeholder for their token (Flask-WTF makes the token once per
    request and keeps it in `g`); whichever way the page comes, cached or drawn now, the placeholder
    is then replaced with this visitor's token, made in their own session.
    """
    @functools.wraps(view)
    def with_token(*args, **kwargs):
        field = current_app.config.get('WTF_CSRF_FIELD_NAME', 'csrf_token')
        setattr(g, field, CSRF_PLACEHOLDER)
        try:
            page = view(*args, **kwargs)
        finally:
            g.pop(field, None)
        if isinstance(page, str) and CSRF_PLACEHOLDER in page:
            page = page.replace(CSRF_PLACEHOLDER, generate_csrf())
        return page
    return with_token


# --------------------------------------------------------------------------- invalidation

def shown_on_pages(instance):
    """Whether a change to this row can change a page the cache keeps."""
    if isinstance(instance, (Post, Comment, Tag)):
        return True
    # An author's name is on their posts; their password, session token or roles are not.
    return isinstance(instance, User) and inspect(instance).attrs.username.history.has_changes()


@event.listens_for(db.session, 'before_flush')
def note_writes(session, flush_context, instances):
    changed = list(session.new) + list(session.dirty) + list(session.deleted)
    if any(shown_on_pages(instance) for instance in changed):
        session.info['blog_changed'] = True


@event.listens_for(db.session, 'do_orm_execute')
def note_bulk_writes(orm_execute_state):
    # session.execute(update(Post)…) and the like change rows without a flush.
    if orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete:
        orm_execute_state.session.info['blog_changed'] = True


@event.listens_for(db.session, 'after_commit')
def forget_cached_pages(session):
    # After the commit, not before: a request that reads the new version finds the new rows.
    if session.info.pop('blog_changed', False):
        new_blog_version()


@event.listens_for(db.session, 'after_rollback')
def nothing_changed(session):
    session.info.pop('blog_changed', None)
