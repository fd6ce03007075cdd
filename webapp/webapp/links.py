"""Links built once (not in the book): `link(endpoint, **values)` in the templates gives what
`url_for` gives, and keeps it for the next page (and `asset_url`, extensions.py, keeps the bundles'
URLs here too).

The home page links each of its posts, their authors and their tags, and the pages around it:
some fifty `url_for` calls, each a walk through Werkzeug's URL map, were half the time of drawing
the page. A relative link depends only on its endpoint, its values and the path the app is
served under (the script root), and none of them changes from one request to the next.
"""
from flask import request, url_for

# URLs kept per app: beyond, the store starts again (a blog's pages link its posts, tags and
# authors, and pages of lists: far fewer).
KEPT = 10_000

# url_for's own options: a link with one of them (an external URL names the host the request came
# to), or to an endpoint relative to the page's blueprint (".home"), goes to url_for each time.
OPTIONS = {'_anchor', '_method', '_scheme', '_external'}


class Links:
    """The app's kept URLs (`app.extensions['links']`); `link` is the templates' global."""

    def __init__(self, app):
        self.kept_urls = {}
        app.extensions['links'] = self
        app.jinja_env.globals['link'] = self.link

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
