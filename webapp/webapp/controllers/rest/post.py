import datetime

from flask import abort, url_for
from flask_restx import Resource, fields, marshal
from sqlalchemy import select

from webapp.controllers.blog import NEWEST_FIRST, with_author_and_tags
from webapp.controllers.rest.auth import authenticated_user, error_fields, read_json_object
from webapp.controllers.rest.fields import HTMLField, LocalDateTime
from webapp.controllers.rest.parsers import (
    post_delete_parser, post_get_parser, post_post_parser, post_put_parser,
)
from webapp.extensions import rest_api
from webapp.models import Post, Tag, User, db

POSTS_PER_PAGE = 30

nested_tag_fields = rest_api.model('Tag', {
    'id': fields.Integer(),
    'title': fields.String(),
})

post_fields = rest_api.model('Post', {
    'id': fields.Integer(),
    'author': fields.String(attribute=lambda post: post.user.username if post.user else None),
    'title': fields.String(),
    'text': HTMLField(),
    'tags': fields.List(fields.Nested(nested_tag_fields)),
    'publish_date': LocalDateTime(),
})

WRONG_INPUT = {400: ('A field or parameter is refused', error_fields)}
NO_TOKEN = {401: ('No valid token (missing, tampered, expired, or its user is gone)', error_fields)}
NOT_YOURS = {403: ('The token\'s user may not do this', error_fields)}
NO_POST = {404: ('No such post (or user)', error_fields)}
TOO_LARGE = {413: ('The body is too large', error_fields)}


def responses(*groups):
    """A decorator documenting each status code an operation can answer (the fuzzer checks them)."""
    def document(method):
        for group in groups:
            for code, (description, model) in group.items():
                method = rest_api.response(code, description, model)(method)
        return method
    return document


def get_post_or_404(post_id):
    # (An id beyond the database's integers never gets here: the app's `int` converter, IdConverter
    # in converters.py, answers 404 for it.)
    post = db.session.get(Post, post_id, options=with_author_and_tags())
    if post is None:
        abort(404, 'No post {}'.format(post_id))
    return post


def may_write(user):
    if not user.has_role('poster'):
        abort(403, 'Writing posts needs the poster role')


def may_change(user, post):
    # The HTML pages' rule (chapter 6): a poster who wrote the post, or an admin.
    may_write(user)
    if post.user_id != user.id and not user.has_role('admin'):
        abort(403, 'Only its author or an admin may change this post')


def tags_titled(titles):
    """The tags with these titles, made when new (the book's loop, with one query for all)."""
    titles = list(dict.fromkeys(titles))
    found = {tag.title: tag for tag in db.session.scalars(select(Tag).where(Tag.title.in_(titles)))}
    return [found.get(title) or Tag(title) for title in titles]


class PostListApi(Resource):
    """/api/post: the list of posts, and where new posts go."""

    @rest_api.expect(post_get_parser)
    @rest_api.doc(security=[])
    @rest_api.response(200, 'A page of 30 posts, newest first', [post_fields])
    @responses(WRONG_INPUT, NO_POST)
    def get(self):
        """30 posts a page, newest first; `user` keeps one user's posts."""
        args = post_get_parser.parse_args()
        query = select(Post).options(*with_author_and_tags()).order_by(*NEWEST_FIRST)
        if args['user'] is not None:
            user = db.session.scalars(select(User).filter_by(username=args['user'])).first()
            if user is None:
                abort(404, 'No user {!r}'.format(args['user']))
            query = query.filter_by(user_id=user.id)
        # count=False: a page of the API needs no total, so no COUNT(*) over every post.
        posts = db.paginate(query, page=args['page'] or 1, per_page=POSTS_PER_PAGE,
                            error_out=False, count=False)
        return marshal(posts.items, post_fields)

    @rest_api.expect(post_post_parser)
    @rest_api.response(201, 'The new post', post_fields)
    @responses(WRONG_INPUT, NO_TOKEN, NOT_YOURS, TOO_LARGE)
    def post(self):
        """Write a new post (a token of a user with the poster role)."""
        read_json_object()
        args = post_post_parser.parse_args()
        user = authenticated_user(args['token'])
        may_write(user)
        post_tags = tags_titled(args['tags'] or [])  # (queried before the new post joins the session)
        new_post = Post(args['title'])
        new_post.user = user
        new_post.publish_date = datetime.datetime.now()
        new_post.text = args['text']
        new_post.tags = post_tags
        db.session.add(new_post)
        db.session.commit()
        return marshal(new_post, post_fields), 201, {
            'Location': url_for('api.post_api', post_id=new_post.id)}


class PostApi(Resource):
    """/api/post/<id>: one post."""

    @rest_api.doc(security=[])
    @rest_api.response(200, 'The post', post_fields)
    @responses(NO_POST)
    def get(self, post_id):
        """A post by its id."""
        return marshal(get_post_or_404(post_id), post_fields)

    @rest_api.expect(post_put_parser)
    @rest_api.response(200, 'The changed post', post_fields)
    @responses(WRONG_INPUT, NO_TOKEN, NOT_YOURS, NO_POST, TOO_LARGE)
    def put(self, post_id):
        """Change a post's title, text or tags (its author, or an admin)."""
        read_json_object()
        args = post_put_parser.parse_args()
        user = authenticated_user(args['token'])
        post = get_post_or_404(post_id)
        may_change(user, post)
        if args['title'] is not None:
            post.title = args['title']
        if args['text'] is not None:
            post.text = args['text']
        if args['tags'] is not None:
            post.tags = tags_titled(args['tags'])
        db.session.commit()
        return marshal(post, post_fields)

    @rest_api.expect(post_delete_parser)
    @rest_api.response(204, 'The post and its comments are deleted')
    @responses(WRONG_INPUT, NO_TOKEN, NOT_YOURS, NO_POST, TOO_LARGE)
    def delete(self, post_id):
        """Delete a post and its comments (its author, or an admin)."""
        read_json_object()
        args = post_delete_parser.parse_args()
        user = authenticated_user(args['token'])
        post = get_post_or_404(post_id)
        may_change(user, post)
        for comment in post.comments:
            db.session.delete(comment)
        db.session.delete(post)
        db.session.commit()
        return '', 204
