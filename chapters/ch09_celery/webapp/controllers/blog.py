import datetime
from os import path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_principal import Permission, UserNeed
from sqlalchemy import func, select
from sqlalchemy.orm import configure_mappers, joinedload, selectinload

from webapp.extensions import admin_permission, poster_permission
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
    # `Post.user` is made by the backref on User.posts: make sure the backrefs are set up.
    configure_mappers()
    return (joinedload(Post.user), selectinload(Post.tags))


NEWEST_FIRST = (Post.publish_date.desc(), Post.id.desc())


def sidebar_data():
    recent = db.session.scalars(
        select(Post).order_by(*NEWEST_FIRST).limit(5)
    ).all()
    # The five tags carried by the most posts, most used first (ties in the order of their titles).
    total = func.count(tags.c.post_id).label('total')
    top_tags = db.session.execute(
        select(Tag, total).join(tags).group_by(Tag).order_by(total.desc(), Tag.title).limit(5)
    ).all()

    return recent, top_tags


@blog_blueprint.route('/')
@blog_blueprint.route('/<int:page>')
def home(page=1):
    posts = db.paginate(
        select(Post).options(*with_author_and_tags()).order_by(*NEWEST_FIRST),
        page=page,
        per_page=10
    )
    recent, top_tags = sidebar_data()

    return render_template(
        'home.html',
        posts=posts,
        recent=recent,
        top_tags=top_tags
    )


@blog_blueprint.route('/post/<int:post_id>', methods=('GET', 'POST'))
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


# The new and edit pages run CKEditor 4 (their textarea of class "ckeditor", blog/new.html), whose
# toolbar calls it from inline handlers (onclick="CKEDITOR.tools.callFunction(…)") and draws with
# inline styles: these two pages allow inline scripts and styles, nothing else changes (only this
# site's files: CKEditor comes from Flask-CKEditor's package). Every other page keeps the strict
# policy (no inline script at all, webapp/__init__.py); what the editor writes is cleaned when saved.
EDITOR_PAGES = ('blog.new_post', 'blog.edit_post')
EDITOR_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
                 "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
                 "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


@blog_blueprint.after_request
def editor_policy(response):
    if request.endpoint in EDITOR_PAGES:
        response.headers['Content-Security-Policy'] = EDITOR_POLICY
    return response


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
