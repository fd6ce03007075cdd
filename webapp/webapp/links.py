"""Links built once (not in the book): `link(endpoint, **values)` in the templates gives what
`url_for` gives, and keeps it for the next page.

The home page links each of its posts, their authors and their tags, and the pages around it:
some fifty `url_for` calls, each a walk through Werkzeug's URL map, were half the time of drawing
the page. A relative link depends only on its endpoint, its values and the path the app is
served under (the script root), and none of them changes from one request to the next.
"""
from flask import request, url_for

# Links kept per app: beyond, the store starts again (a blog's pages link its posts, tags and
# authors, and pages of lists: far fewer).
KEPT = 10_000

# url_for's own options: a link with one of them (an external URL names the host the request came
# to) goes to url_for each time.
OPTIONS = {'_anchor', '_method', '_scheme', '_external'}


class Links:
    """The app's kept links; `link` is the templates' global."""

    def __init__(self, app):
        self.kept = {}
        app.jinja_env.globals['link'] = self.link

    def link(self, endpoint, **values):
        """url_for(endpoint, **values), built once per script root."""
        if not OPTIONS.isdisjoint(values):
            return url_for(endpoint, **values)
        if endpoint.startswith('.'):  # relative to the page's blueprint, as url_for reads it
            endpoint = request.blueprint + endpoint
        key = (request.script_root, endpoint, *values.items())
        url = self.kept.get(key)
        if url is None:
            if len(self.kept) >= KEPT:
                self.kept.clear()
            url = self.kept[key] = url_for(endpoint, **values)
        return url
