"""Beyond the book: the finished app's home page, made fast (README.md beside this file).

`mount(app)` gives an app made by the finished app's `create_app` this home page in place of the
book's `blog.home` (same URL, same cache rules), and its templates (templates/fast_home_page/) their
kept links. The finished app itself (webapp/) keeps the book's view; this module is what a benchmark
or a test mounts on it, to measure and check what each step below buys:

1. A statement is a constant: built here, at import, not on every request. SQLAlchemy compiles it to
   SQL once either way, but building it again (options, subqueries, joins) and working out its cache
   key cost more than the database took to answer it.
2. What the page only shows, it asks for as the tables' columns: plain rows skip the ORM's identity
   map and loaders. Nothing on the home page changes a post.
3. One statement where one will do: a page of posts comes with its authors' names and the number of
   posts (counted only ten pages ahead); its tags come in one more, for all of its posts; on the first
   page the sidebar's five newest posts are the page's own first five.
4. The popular tags are counted over the latest 100 posts, not the whole blog: this changes what the
   book's sidebar means ("popular lately"), for a count that does not grow with the blog.
5. Links (`link`) and the bundles' URLs (`asset_url`) are built once per path the app is served
   under, not on every page (`url_for` walks Werkzeug's URL map; the book's `{% assets %}` tag
   hashes each whole bundle).
On PostgreSQL, two more:
6. The page only reads, so it reads without a transaction (`reading_only`).
7. A number that never changes is written into the SQL (`fixed`): a statement without parameters is
   planned once by PostgreSQL and the plan kept; with a LIMIT parameter it is planned again on every
   page, since the best plan could depend on the number.
"""
from collections import namedtuple
from pathlib import Path

from flask import Blueprint, current_app, render_template, request, url_for
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import bindparam, func, literal, select

from webapp.caching import page_key, per_visitor_csrf, personal, shareable
from webapp.extensions import assets_env, cache
from webapp.models import Post, Tag, User, db, tags

POSTS, TAGS, USERS = Post.__table__, Tag.__table__, User.__table__
# Newest first, in the table's terms (the book's order, and the post's id for equal dates).
NEWEST_FIRST = (POSTS.c.publish_date.desc(), POSTS.c.id.desc())

# What the page shows of a post's tag, and of the sidebar's posts and tags: plain values.
Link = namedtuple('Link', 'id title')


def fixed(number):
    """`number` as a literal in the statement's SQL, not a parameter (step 7)."""
    return literal(number, literal_execute=True)


# A post as the home page shows it (render_post_summary reads it as it reads a Post), and its author.
PostSummary = namedtuple('PostSummary', 'id title text publish_date user')
Author = namedtuple('Author', 'username')

# The pager counts the posts only as far as it links, ten pages past the page shown: `count(*)` of
# the whole table grows with the blog (at 10,000 posts it cost PostgreSQL a third as much as drawing
# the page). A blog with more posts than that shows "…" after those pages, not its last two.
PAGES_AHEAD = 10
COUNT_UP_TO = (
    select(func.count())
    .select_from(select(POSTS.c.id).limit(bindparam('count_up_to')).subquery())
    .correlate(None).scalar_subquery()
)

# One page of posts, newest first: what the page shows of each and its author's name (one JOIN),
# and, on every row, the count above (the database works it out once for the statement, not once
# a row). The page's size and offset are parameters of the one statement.
PAGE_OF_SUMMARIES = (
    select(POSTS.c.id, POSTS.c.title, POSTS.c.text, POSTS.c.publish_date, USERS.c.username,
           COUNT_UP_TO.label('counted'))
    .outerjoin(USERS, USERS.c.id == POSTS.c.user_id)
    .order_by(*NEWEST_FIRST)
    .limit(bindparam('per_page')).offset(bindparam('offset'))
)

# The tags of some posts (their ids), as plain rows.
TAGS_OF_POSTS = (
    select(tags.c.post_id, TAGS.c.id, TAGS.c.title)
    .join(TAGS, TAGS.c.id == tags.c.tag_id)
    .where(tags.c.post_id.in_(bindparam('ids', expanding=True)))
    .order_by(tags.c.post_id, TAGS.c.title)
)

# The popular tags among the latest posts only (step 4): the count starts from those posts, so the
# database looks up their tags only, whatever the size of the blog.
POPULAR_AMONG = 100

# The sidebar's five newest posts and its five most used tags.
RECENT_POSTS = select(POSTS.c.id, POSTS.c.title).order_by(*NEWEST_FIRST).limit(fixed(5))
LATEST = select(POSTS.c.id).order_by(*NEWEST_FIRST).limit(fixed(POPULAR_AMONG)).subquery()
TOTAL = func.count(tags.c.post_id).label('total')
TOP_TAGS = (
    select(TAGS.c.id, TAGS.c.title, TOTAL)
    .select_from(LATEST)
    .join(tags, tags.c.post_id == LATEST.c.id)
    .join(TAGS, TAGS.c.id == tags.c.tag_id)
    .group_by(TAGS.c.id, TAGS.c.title)
    .order_by(TOTAL.desc(), TAGS.c.title)
    .limit(fixed(5))
)


class PageOfPosts(Pagination):
    """Flask-SQLAlchemy's pager (the pagination macro reads its pages, prev_num, iter_pages()…) over
    PAGE_OF_SUMMARIES: a subclass gives its items and its count (the base class's two abstract
    methods); db.paginate would derive two new statements from the one it is given."""

    def _query_items(self):
        counted_to = (self.page + PAGES_AHEAD) * self.per_page
        rows = db.session.execute(PAGE_OF_SUMMARIES, {
            'per_page': self.per_page, 'offset': self._query_offset, 'count_up_to': counted_to + 1,
        }).all()
        counted = rows[0].counted if rows else 0  # (no rows: page 1 of an empty blog, or a 404)
        # More posts than were counted: `total` is then the count so far, and the pager says "…".
        self.more = counted > counted_to
        self._counted = min(counted, counted_to)
        return [PostSummary(row.id, row.title, row.text, row.publish_date,
                            Author(row.username) if row.username is not None else None)
                for row in rows]

    def _query_count(self):
        return self._counted

    def iter_pages(self, *, left_edge=2, left_current=2, right_current=4, right_edge=2):
        # Past the pages counted, the last pages are not known: an ellipsis ends the list.
        return super().iter_pages(left_edge=left_edge, left_current=left_current,
                                  right_current=right_current, right_edge=0 if self.more else right_edge)


def tags_of(posts):
    """{post id: [Link of each tag]} for these posts, in one query."""
    found = {post.id: [] for post in posts}
    if found:
        for post_id, tag_id, title in db.session.execute(TAGS_OF_POSTS, {'ids': list(found)}):
            found[post_id].append(Link(tag_id, title))
    return found


def sidebar(recent=None):
    """The sidebar's five newest posts (unless the page has them already: `recent`) and its five
    most used tags among the latest posts."""
    if recent is None:
        recent = [Link(*row) for row in db.session.execute(RECENT_POSTS)]
    return ([Link(post.id, post.title) for post in recent],
            [(Link(tag_id, title), total) for tag_id, title, total in db.session.execute(TOP_TAGS)])


def reading_only():
    """On PostgreSQL, run this request's statements without a transaction (autocommit): for a page
    that only reads (step 6).

    A request's session ends in a ROLLBACK: on PostgreSQL two round trips (BEGIN, ROLLBACK), and
    psycopg forgets the statements it has prepared at every ROLLBACK, so the server would parse each
    statement again on every page. Without a transaction psycopg keeps them prepared (from a
    statement's fifth run on). Only where the session has not begun a transaction already (a
    signed-in visitor's user was loaded in one); nothing the page runs writes.
    Not on SQLite: no round trips to save, Python's sqlite3 begins no transaction for a SELECT, and
    switching back costs a statement (the page a fifth slower). Not on MySQL: switching there and
    back takes four statements, to save one ROLLBACK."""
    if db.engine.name == 'postgresql' and not db.session().in_transaction():
        db.session.connection(execution_options={'isolation_level': 'AUTOCOMMIT'})


def home(page=1):
    """The home page: the book's, drawn with the steps above."""
    reading_only()
    posts = PageOfPosts(page=page, per_page=10)
    # The first page lists the newest posts already: the sidebar's five are its first five.
    recent, top_tags = sidebar(posts.items[:5] if page == 1 else None)

    return render_template(
        'fast_home_page/home.html',
        posts=posts,
        tags_of=tags_of(posts.items),
        recent=recent,
        top_tags=top_tags
    )


# ---------------------------------------------------------------- links built once (step 5)
# URLs kept per app: beyond, the store starts again (a blog's pages link its posts, tags and
# authors, and pages of lists: far fewer).
KEPT = 10_000

# url_for's own options: a link with one of them (an external URL names the host the request came
# to), or to an endpoint relative to the page's blueprint (".home"), goes to url_for each time.
OPTIONS = {'_anchor', '_method', '_scheme', '_external'}


class Links:
    """The app's kept URLs (`app.extensions['links']`); `link` and `asset_url` are the templates'.

    A relative link depends only on its endpoint, its values and the path the app is served under
    (the script root), and none of them changes from one request to the next."""

    def __init__(self, app):
        self.kept_urls = {}
        app.extensions['links'] = self
        app.jinja_env.globals.update(link=self.link, asset_url=self.asset_url)

    def kept(self, key, build):
        """The URL `build()` gives for `key` under this request's script root, built once."""
        key = (request.script_root, *key)
        url = self.kept_urls.get(key)
        if url is None:
            if len(self.kept_urls) >= KEPT:
                self.kept_urls.clear()
            url = self.kept_urls[key] = build()
        return url

    def link(self, endpoint, **values):
        """url_for(endpoint, **values), built once per script root."""
        if endpoint.startswith('.') or not OPTIONS.isdisjoint(values):
            return url_for(endpoint, **values)
        return self.kept((endpoint, *values.items()), lambda: url_for(endpoint, **values))

    def asset_url(self, name):
        """The URL of a bundle (`{{ asset_url('main_css') }}`), found once: built at start, a
        bundle's URL does not change while the app runs, unless ASSETS_AUTO_BUILD (development)
        rebuilds it as you edit."""
        if current_app.config['ASSETS_AUTO_BUILD']:
            return assets_env[name].urls()[0]
        return self.kept(('bundle', name), lambda: assets_env[name].urls()[0])


def mount(app):
    """Serve this home page as `blog.home` of `app` (made by the finished app's create_app, not yet
    serving), with the book's cache rules of the page it replaces; returns the app."""
    app.register_blueprint(Blueprint('fast_home_page', __name__, root_path=str(Path(__file__).parent),
                                     template_folder='templates'))
    Links(app)
    app.view_functions['blog.home'] = per_visitor_csrf(cache.cached(
        timeout=60, key_prefix=page_key, unless=personal, response_filter=shareable)(home))
    return app
