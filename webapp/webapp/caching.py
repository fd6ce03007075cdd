"""What the cache may keep, for whom, and when it is thrown away (chapter 10).

The book caches the home and post pages for 60 s and the sidebar for two hours. As written, that
cache is wrong in three ways, and each is mended here:

1. It keeps a page by its URL alone: a page drawn for one visitor (their name in the navigation bar)
   would be served to the next. Here only the pages of anonymous visitors are shared (`personal`).
2. The post page holds the comment form, whose CSRF token belongs to the session of whoever filled
   the cache: every later visitor's comment would be refused. Here a cached page holds a placeholder
   where the token goes, and each visitor gets their own token put in (`per_visitor_csrf`). A page
   whose drawing wrote to the visitor's session (a flashed message shown, a cookie to set) is not
   kept at all (`shareable`).
3. A new post or comment would appear up to 60 s later (the sidebar: two hours). Here every key
   holds the blog's version, and any commit that touches a post, comment, tag or author's name
   gives the blog a new version: what was cached before is never looked up again (`note_writes`).
   The hook is on the database session, so a write from any path (the blog's forms, the REST API,
   `flask` commands, the admin) counts.

In front of it all, `SharedPages` serves a visitor who sends no cookie at all (a first visit, a
crawler) the home page as stored bytes, headers included, without running the app, and each process
keeps what it served for a second in its own memory: as fast as a bare "hello" (the workbook's
benchmark measures it).
"""
import functools
import logging
import secrets
import time

from flask import current_app, g, request, session
from flask_caching.backends import NullCache
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, inspect

from webapp.extensions import cache
from webapp.models import Comment, Post, Tag, User, db

log = logging.getLogger(__name__)

VERSION_KEY = 'blog_version'


def blog_version(backend=None):
    """The blog's current version: a random word, new after every write.

    Random rather than a counter: if the cache loses the key (evicted, Redis restarted), the new
    word matches no page cached before, where a counter starting again at 0 would.
    """
    backend = cache if backend is None else backend
    version = backend.get(VERSION_KEY)
    if version is None:
        backend.add(VERSION_KEY, secrets.token_hex(8), timeout=0)  # another process may be first
        version = backend.get(VERSION_KEY) or 'uncached'
    return version


def new_blog_version():
    pages = current_app.extensions.get('shared_pages')
    if pages is not None:
        pages.forget()  # this process's copies (SharedPages); other processes' expire within a second
    try:
        cache.set(VERSION_KEY, secrets.token_hex(8), timeout=0)
    except Exception:
        # The cache is down (Redis): the write is committed; pages are not served from it meanwhile.
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
        elif not personal() and shareable(page):
            # No form, nothing of this visitor's: SharedPages may keep the whole answer.
            request.environ[SHAREABLE] = True
        return page
    return with_token


# Only letters and dashes: the same in HTML, in an attribute and in text.
CSRF_PLACEHOLDER = 'csrf-token-of-this-visitor'


# --------------------------------------------------------------------------- in front of the app

SHAREABLE = 'webapp.shareable_page'
FRONT_TIMEOUT = 60  # seconds, as the book's pages
KEPT_HERE = 1.0  # seconds a process serves a page from its own memory (SharedPages)


class SharedPages:
    """WSGI middleware: a page the app marked as the same for every anonymous visitor (the home
    page), kept whole (status, headers, body) and served to visitors who send no cookie, before
    Flask, Flask-Login, Principal or the rate limiter run. What a reverse proxy's cache does.

    A visitor who sends a cookie (a session: perhaps signed in, a message waiting, a CSRF token)
    always reaches the app. The answer is kept only when the view said so (its page, drawn for
    nobody in particular) and it sets no cookie. It is kept with the blog's version, read before
    the app queries anything, and served only while that is still the version: both are read at
    once (one round trip to Redis).

    Each process also keeps what it served for one second (`KEPT_HERE`), in its memory: within that
    second the page goes out with no round trip to Redis at all, as fast as a bare "hello". A write
    made in this process forgets those copies at once (`forget`); one made in another process reaches
    this one within the second. No visitor can tell: only visitors who send no cookie come here, and
    whoever writes a post or a comment, or signs in, sends one.
    """

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.kept = {}  # key: (until, status, headers, body)
        app.extensions['shared_pages'] = self

    def forget(self):
        self.kept.clear()

    def keep(self, key, status, headers, body):
        self.kept[key] = (time.monotonic() + KEPT_HERE, status, headers, body)

    def __call__(self, environ, start_response):
        # In debug mode (development) the app draws every answer: the debug toolbar shows each
        # request's own queries, and a stored toolbar would show another's.
        if environ.get('REQUEST_METHOD') != 'GET' or environ.get('HTTP_COOKIE') or self.app.debug:
            return self.wsgi_app(environ, start_response)
        backend = self.app.extensions['cache'][cache]
        if isinstance(backend, NullCache):  # no cache configured (the tests'): keep nothing either
            return self.wsgi_app(environ, start_response)
        key = 'front{}{}'.format(environ.get('SCRIPT_NAME', ''), environ.get('PATH_INFO', ''))
        until, *kept = self.kept.get(key, (0,))
        if until > time.monotonic():
            status, headers, body = kept
            start_response(status, list(headers))
            return [body]
        try:
            version, stored = backend.get_many(VERSION_KEY, key)
            if stored is not None and stored[0] == version:
                _, status, headers, body = stored
                self.keep(key, status, headers, body)
                start_response(status, list(headers))
                return [body]
            version = version or blog_version(backend)
        except Exception:
            log.exception('the cache did not answer: the app serves the page')
            return self.wsgi_app(environ, start_response)

        answer = {}

        def keep_status(status, headers, exc_info=None):
            answer.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        chunks = self.wsgi_app(environ, keep_status)
        if not (environ.get(SHAREABLE)
                and not any(name.lower() == 'set-cookie' for name, _ in answer['headers'])):
            return chunks
        try:
            body = b''.join(chunks)
        finally:
            getattr(chunks, 'close', lambda: None)()  # what the server would have done
        try:
            backend.set(key, (version, answer['status'], answer['headers'], body), timeout=FRONT_TIMEOUT)
        except Exception:
            log.exception('the cache did not take the page')
        self.keep(key, answer['status'], answer['headers'], body)
        return [body]


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
