"""The appendix's tests run on the finished app with this home page mounted:

    python -m pytest --chapter=webapp benchmarks/fast_home_page

(the workbook's fixtures: `app`, `client`, `make`, `url_for`, `sql_statements`, `postgresql_url`…;
nox's `tooling` session runs them, tests/tooling/test_fast_home_page.py)."""
import importlib.util
from pathlib import Path

import pytest

MODULE = Path(__file__).with_name("fast_home_page.py")


def load():
    """fast_home_page.py, imported afresh: its statements are built from the webapp's tables as
    this test imported them."""
    spec = importlib.util.spec_from_file_location("fast_home_page", MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fast_home_page(chapter):
    if chapter.name != "webapp":
        pytest.skip("the appendix mounts its home page on the finished app: --chapter=webapp")
    return load()


@pytest.fixture
def app(app, fast_home_page):
    """The finished app, its home page the fast one."""
    return fast_home_page.mount(app)
