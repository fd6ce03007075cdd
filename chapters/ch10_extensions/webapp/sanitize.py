"""A post's text is HTML from chapter 6 on (the new and edit pages write it in CKEditor, as the book's
do; chapter 10's admin too): whatever wrote it, the blog shows only the tags CKEditor makes, cleaned
by nh3 (Rust's ammonia): no <script>, no on…= handlers, no javascript: links. A text without any tag
is plain text, shown as before (paragraphs).

Cleaned twice: when it is saved (models.Post's validator: the blog's form, the REST API, the admin,
the shell all go through it) and when it is shown (a post saved by older code was never cleaned).
"""
import html
import re

import nh3
from markupsafe import Markup

# What CKEditor 4's standard toolbar produces.
TAGS = {
    'p', 'br', 'hr', 'strong', 'b', 'em', 'i', 's', 'u', 'sub', 'sup', 'a', 'ul', 'ol', 'li',
    'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'code', 'img',
    'table', 'caption', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td',
}
ATTRIBUTES = {
    'a': {'href', 'title'},
    'img': {'src', 'alt', 'title', 'width', 'height'},
    'th': {'colspan', 'rowspan'},
    'td': {'colspan', 'rowspan'},
}
# Links and images: http(s), mail, and relative addresses (nh3 keeps those); javascript: and data: go.
URL_SCHEMES = {'http', 'https', 'mailto'}

A_TAG = re.compile(r'<[A-Za-z!/?]')


def is_html(text):
    return bool(text) and A_TAG.search(text) is not None


def clean_html(text):
    return nh3.clean(text, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES)


def clean_post_text(text):
    """What a post keeps of `text`: cleaned HTML, or the plain text untouched."""
    return clean_html(text) if is_html(text) else text


def post_html(text):
    """A post's text as the post's page shows it (the `post_html` filter)."""
    text = text or ''
    if is_html(text):
        return Markup(clean_html(text))
    return Markup('\n').join(Markup('<p>{}</p>').format(paragraph) for paragraph in text.split('\n\n'))


def plain_text(text):
    """A post's text without its tags (the `plain_text` filter), for summaries that cut it short."""
    text = text or ''
    if not is_html(text):
        return text
    return html.unescape(nh3.clean(text, tags=set()))
