"""Chapter 10's Flask-Assets bundles: every page loads one CSS and one JS file.

Each joins Bootstrap's files (served from Bootstrap-Flask's package: the `bootstrap/` prefix is its
blueprint's static folder) and the site's own, minified (rcssmin, rjsmin), built into static/gen/
(not in git)."""
import io
import os

from flask_assets import Bundle

from webapp.extensions import assets_env

main_css = Bundle('bootstrap/css/bootstrap.min.css', 'css/site.css',
                  filters='rcssmin', output='gen/common.css')
main_js = Bundle('bootstrap/umd/popper.min.js', 'bootstrap/js/bootstrap.min.js',
                 filters='rjsmin', output='gen/common.js')


def register_bundles(app):
    """The bundles, under the names the templates use, built if they are older than their files."""
    assets_env.register('main_css', main_css)
    assets_env.register('main_js', main_js)
    build_bundles(app)


def build_bundles(app):
    """Build each bundle that is missing or older than one of its files, at start: gunicorn's main
    process (preload_app) builds them once, before its workers start. Each is written under another
    name, then renamed into place, so that processes starting together (the tests' several processes)
    never serve, nor write into, half a file. `flask assets build` builds them all again."""
    with app.app_context():
        for bundle in (main_css, main_js):
            target = bundle.resolve_output()
            sources = [source for _, source in bundle.resolve_contents()]
            if os.path.exists(target) and os.path.getmtime(target) >= max(map(os.path.getmtime, sources)):
                continue
            built = io.StringIO()
            bundle.build(force=True, output=built)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            draft = '{}.{}'.format(target, os.getpid())
            with open(draft, 'w', encoding='utf-8') as new:
                new.write(built.getvalue())
            os.replace(draft, target)
