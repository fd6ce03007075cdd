"""benchmarks/home_page.py against the finished app with the fast home page mounted (README.md here).

    python benchmarks/fast_home_page/benchmark.py [--cache none] [--posts 1000,10000] [--quick] …

Every option is home_page.py's; the chapter is the finished app (`--chapter=webapp`), the only one
fast_home_page.py mounts on. Run `python benchmarks/home_page.py --chapter=webapp` beside it for the
book's page, in the same conditions.
"""
import importlib.util
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOME_PAGE = HERE.parent / "home_page.py"

# Appended to home_page.py's WSGI module: every app it serves gets the fast home page, before any
# request (no braces: home_page.py formats the module's text).
MOUNT = textwrap.dedent(f'''
    sys.path.insert(0, {str(HERE)!r})
    import fast_home_page
    for app in [blog, *mounts.values()]:
        if app is not hello:
            fast_home_page.mount(app)
''')


def load_home_page():
    spec = importlib.util.spec_from_file_location("home_page_benchmark", HOME_PAGE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(arg.startswith("--chapter") for arg in argv):
        raise SystemExit("the fast home page mounts on the finished app only: no --chapter")
    home_page = load_home_page()
    home_page.WSGI += MOUNT
    # The statements a page runs are counted in this process, on an app of its own: mounted too.
    chapters = home_page.chapters
    load_app = chapters.load_app

    def load_fast_app(*args, **kwargs):
        sys.path.insert(0, str(HERE))
        import fast_home_page
        return fast_home_page.mount(load_app(*args, **kwargs))

    chapters.load_app = load_fast_app
    home_page.main(["--chapter=webapp", *argv])


if __name__ == "__main__":
    main()
