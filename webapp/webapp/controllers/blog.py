import datetime
from collections import namedtuple
from os import path

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_principal import Permission, UserNeed
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import bindparam, func, literal, select
from sqlalchemy.orm import configure_mappers, joinedload, selectinload

from webapp.caching import page_key, per_visitor_csrf, personal, shareable, sidebar_key
from webapp.extensions import admin_permission, cache, poster_permission
from webapp.forms import CommentForm, PostForm
from webapp.models import Comment, Post, Tag, User, db, tags
from webapp.sanitize import plain_text, post_html

blog_blueprint = Blueprint(
    'blog',
    __name__,
    template_folder=path.join(path.pardir, 'templates', 'blog'),
    url_prefix='/blog'
)


def with_author_and_tags():
    # A list of posts shows each post's author and tags. Loading them with the posts (one JOIN for
    # the author, one extra SELECT ... IN for all the tags) keeps a page at a fixed number of
    # queries; left to lazy loading, every post on the page would cost its own queries ("N+1").
    # (A JOIN for the tags too would save that SELECT, but SQLite answers it by reading all of
    # post_tags: the page would grow slower with the blog.)
    # `Post.user` is made by the backref on User.posts: make sure the backrefs are set up.
    configure_mappers()
    return (joinedload(Post.user), selectinload(Post.tags))


POSTS, TAGS, USERS = Post.__table__, Tag.__table__, User.__table__
# Newest first, in the table's terms: for the ORM's queries and the plain ones alike.
NEWEST_FIRST = (POSTS.c.publish_date.desc(), POSTS.c.id.desc())

# What the sidebar shows of a post or a tag: plain values, safe to keep in a cache (an ORM object
# taken out of the cache is detached from any session).
Link = namedtuple('Link', 'id title')

# ---------------------------------------------------------------- the home page's queries, built once
# Not in the book: the home page, drawn for every visitor, costs about half what it did, or less on
# PostgreSQL (see the README's "The home page's cost"). Three habits do it:
# 1. A statement is a constant: built here, at import, not on every request. SQLAlchemy compiles
#    it to SQL once either way, but building it again (options, subqueries, joins) and working out
#    its cache key cost more than the database took to answer it.
# 2. What the page only shows, it asks for as the tables' columns: plain rows skip the ORM's
#    identity map and loaders. Nothing on the home page changes a post.
# 3. One statement where one will do: a page of posts comes with its authors' names and the number
#    of posts; its tags come in one more, for all of its posts.
# On PostgreSQL, two more (the server then does less than half the work it did):
# 4. The page only reads, so on PostgreSQL it reads without a transaction (`reading_only`, below).
# 5. A number that never changes is written into the SQL (`fixed`): a statement without parameters
#    is planned once by PostgreSQL and the plan kept; with a LIMIT parameter it is planned again on
#    every page, since the best plan could depend on the number.


def fixed(number):
    """`number` as a literal in the statement's SQL, not a parameter (habit 5 above)."""
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

# The popular tags are counted over the latest posts, not all of them: counting every row of
# post_tags on every page would make each page slower as the blog grows.
POPULAR_AMONG = 100

# The sidebar's five newest posts and its five most used tags (one grouped query: each tag with the
# number of the latest posts that carry it, most used first; it starts from those posts, so the
# database looks up their tags only).
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


def reading_only():
    """On PostgreSQL, run this request's statements without a transaction (autocommit): for a page
    that only reads.

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


def given_recent(sidebar_data, recent=None):
    return recent is not None


# The book's cached sidebar: one entry for every page, for two hours, or until the next write (its
# key holds the blog's version, webapp/caching.py). Not when the page hands it its five posts.
@cache.cached(timeout=7200, key_prefix=sidebar_key, unless=given_recent)
def sidebar_data(recent=None):
    """The sidebar's five newest posts (unless the page already has them: `recent`) and its five
    most used tags."""
    if recent is None:
        recent = [Link(*row) for row in db.session.execute(RECENT_POSTS)]
    return ([Link(post.id, post.title) for post in recent],
            [(Link(tag_id, title), total) for tag_id, title, total in db.session.execute(TOP_TAGS)])


# The book's @cache.cached(timeout=60), kept from being wrong (webapp/caching.py): shared only between
# anonymous visitors, keyed by the blog's version, and with each visitor's own CSRF token.
@blog_blueprint.route('/')
@blog_blueprint.route('/<int:page>')
@per_visitor_csrf
@cache.cached(timeout=60, key_prefix=page_key, unless=personal, response_filter=shareable)
def home(page=1):
    reading_only()
    posts = PageOfPosts(page=page, per_page=10)
    # The first page lists the newest posts already: the sidebar's five are its first five.
    recent, top_tags = sidebar_data(posts.items[:5] if page == 1 else None)

    return render_template(
        'home.html',
        posts=posts,
        tags_of=tags_of(posts.items),
        recent=recent,
        top_tags=top_tags
    )


@blog_blueprint.route('/post/<int:post_id>', methods=('GET', 'POST'))
@per_visitor_csrf
@cache.cached(timeout=60, key_prefix=page_key, unless=personal, response_filter=shareable)
def post(post_id):
    post = db.get_or_404(Post, post_id, options=with_author_and_tags())
    form = CommentForm()
    if form.validate_on_submit():
        new_comment = Comment()
        new_comment.name = form.name.data
        new_comment.text = form.text.data
        new_comment.post_id = post.id
        new_comment.date = datetime.datetime.now()

        db.session.add(new_comment)
        db.session.commit()
        flash('Thank you: your comment is posted.')
        # Redirect after POST: reloading the page does not post the comment twice.
        return redirect(url_for('.post', post_id=post.id, _anchor='comments'))

    comments = db.session.scalars(
        select(Comment).filter_by(post_id=post.id).order_by(Comment.date.desc(), Comment.id.desc())
    ).all()
    recent, top_tags = sidebar_data()

    return render_template(
        'post.html',
        post=post,
        comments=comments,
        recent=recent,
        top_tags=top_tags,
        form=form
    )


@blog_blueprint.route('/tag/<string:tag_name>')
def tag(tag_name):
    tag = db.first_or_404(select(Tag).filter_by(title=tag_name))
    posts = db.session.scalars(
        select(Post)
        .join(Post.tags)
        .where(Tag.id == tag.id)
        .options(*with_author_and_tags())
        .order_by(*NEWEST_FIRST)
    ).all()
    recent, top_tags = sidebar_data()

    return render_template(
        'tag.html',
        tag=tag,
        posts=posts,
        recent=recent,
        top_tags=top_tags
    )


@blog_blueprint.route('/user/<string:username>')
def user(username):
    user = db.first_or_404(select(User).filter_by(username=username))
    posts = db.session.scalars(
        select(Post)
        .filter_by(user_id=user.id)
        .options(*with_author_and_tags())
        .order_by(*NEWEST_FIRST)
    ).all()
    recent, top_tags = sidebar_data()

    return render_template(
        'user.html',
        user=user,
        posts=posts,
        recent=recent,
        top_tags=top_tags
    )


@blog_blueprint.route('/new', methods=['GET', 'POST'])
@login_required
@poster_permission.require(http_exception=403)
def new_post():
    form = PostForm()

    if form.validate_on_submit():
        new_post = Post(form.title.data)
        new_post.text = form.text.data
        new_post.publish_date = datetime.datetime.now()
        new_post.user = current_user

        db.session.add(new_post)
        db.session.commit()
        flash('Your post is published.')
        return redirect(url_for('.post', post_id=new_post.id))

    return render_template('new.html', form=form)


def can_edit(post):
    """Whether the signed-in user may edit `post`: a poster who wrote it, or an admin."""
    # The book's UserNeed check: the identity provides UserNeed(id) only for that user.
    author = Permission(UserNeed(post.user_id))
    return poster_permission.can() and (author.can() or admin_permission.can())


# A post's text, cleaned HTML or plain paragraphs (post.html), and without its tags (summaries).
blog_blueprint.add_app_template_filter(post_html, 'post_html')
blog_blueprint.add_app_template_filter(plain_text, 'plain_text')


@blog_blueprint.app_context_processor
def permissions_for_templates():
    return dict(can_edit=can_edit)


@blog_blueprint.route('/edit/<int:id>', methods=['GET', 'POST'])
@login_required
@poster_permission.require(http_exception=403)
def edit_post(id):
    post = db.get_or_404(Post, id)

    # We want admins to be able to edit any post
    if not can_edit(post):
        abort(403)

    # The post's title and text fill the form on GET; on POST the form holds what was sent.
    form = PostForm(obj=post)

    if form.validate_on_submit():
        post.title = form.title.data
        post.text = form.text.data
        post.publish_date = datetime.datetime.now()

        db.session.add(post)
        db.session.commit()

        return redirect(url_for('.post', post_id=post.id))

    return render_template('edit.html', form=form, post=post)
