"""The chapter notebooks as a learner meets them: the chapter's code shown as it is on disk, and a
laptop without Debian's Chromium, PostgreSQL or MariaDB, where each notebook still runs to the end."""
import io
import json
import os
import subprocess
import sys
import textwrap
import types

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from workbook import chapters, live, notebook

NOTEBOOKS = [chapter for chapter in chapters.CHAPTERS if chapter.notebook.exists()]
# The helpers of workbook.notebook that reach for Chromium or a database server, and note on a laptop
# what they skipped. A notebook that calls none of them runs on a laptop as it runs in its chapter's
# session, which runs it already (chapter 9's: a Celery worker on the embedded broker, a local mail
# server): it is not run twice.
REACH_FOR_A_SERVER = ("show_page(", "other_databases(")
ON_A_LAPTOP = [chapter for chapter in NOTEBOOKS
               if any(helper in chapter.notebook.read_text() for helper in REACH_FOR_A_SERVER)]


def laptop(tmp_path, ci=False):
    """This process's environment, with the browser lookup pointed at nothing and both database URLs
    at a port nobody listens on (nothing in the notebooks is edited)."""
    closed = live.free_port()
    env = {name: value for name, value in os.environ.items()
           if name not in ("CI", "WORKBOOK_CHROMEDRIVER", "PYTHONDONTWRITEBYTECODE")}
    env.update(
        JUPYTER_PLATFORM_DIRS="1",
        WORKBOOK_CHROMIUM=str(tmp_path / "no-chromium-here"),
        WORKBOOK_POSTGRES_URL=f"postgresql+psycopg://postgres@127.0.0.1:{closed}/test",
        WORKBOOK_MARIADB_URL=f"mysql+pymysql://root@127.0.0.1:{closed}/test",
    )
    if ci:
        env["CI"] = "true"
    return env, closed


def notes(document):
    return [output["data"]["text/plain"] for cell in document.cells for output in cell.get("outputs", ())
            if live.MISSING_MIME in output.get("data", {})]


def code(document):
    return "\n".join(cell.source for cell in document.cells if cell.cell_type == "code")


@pytest.mark.parametrize("chapter", ON_A_LAPTOP, ids=[chapter.name for chapter in ON_A_LAPTOP])
def test_notebook_runs_to_the_end_without_chromium_or_database_servers(chapter, tmp_path):
    """A chapter's notebook runs to the end on a laptop with no Chromium, PostgreSQL or MariaDB: each
    screenshot, and each turn on another database, is one line saying what was skipped and why."""
    env, port = laptop(tmp_path)
    document = notebook.execute(chapter.notebook, env)  # CellExecutionError at the first cell that fails

    source = code(document)
    expected = [f"no Chromium found: the screenshot is skipped; {live.INSTALL_CHROMIUM}"] * source.count(
        "show_page(")
    for _ in range(source.count("other_databases()")):
        expected += [f"PostgreSQL at 127.0.0.1:{port} is not reachable: skipped here; start it, or set "
                     "WORKBOOK_POSTGRES_URL",
                     f"MariaDB at 127.0.0.1:{port} is not reachable: skipped here; start it, or set "
                     "WORKBOOK_MARIADB_URL"]
    found = notes(document)
    print(*found, sep="\n")
    assert sorted(found) == sorted(expected)
    errors = [output for cell in document.cells for output in cell.get("outputs", ())
              if output.get("name") == "stderr" or output.get("output_type") == "error"]
    assert errors == []


def test_the_laptop_run_knows_every_helper_that_reaches_for_a_server():
    """Every helper of workbook.notebook that notes a missing browser or server is one the laptop run
    looks for: a notebook calling a new one is not left out of it."""
    import inspect

    noting = {f"{name}(" for name, function in inspect.getmembers(notebook, inspect.isfunction)
              if function.__module__ == notebook.__name__ and name != "_missing"
              and "_missing(" in inspect.getsource(function)}
    assert noting == set(REACH_FOR_A_SERVER)


def test_notebook_fails_in_ci_without_a_database_server(tmp_path):
    """With CI=true, a notebook cell that needs PostgreSQL fails when it is not there, as the suites do."""
    env, port = laptop(tmp_path, ci=True)
    with pytest.raises(CellExecutionError) as failure:
        notebook.execute(chapters.get(2).notebook, env)
    assert f"CI needs this: no PostgreSQL at 127.0.0.1:{port}: connection failed" in str(failure.value)


def test_stored_outputs_are_ci_runs():
    """No stored notebook output is a note about something missing: `refresh` runs as CI does."""
    for chapter in NOTEBOOKS:
        assert notes(nbformat.read(chapter.notebook, as_version=4)) == [], chapter.notebook.name


def test_notebook_links_work_in_a_checkout():
    """No notebook links to another folder of the repository (a checkout has only its chapter)."""
    for chapter in NOTEBOOKS:
        text = "\n".join(cell.source for cell in nbformat.read(chapter.notebook, as_version=4).cells)
        assert "](../" not in text, chapter.notebook.name


# --------------------------------------------------------------------------- one notebook cell under nbval


def notebook_with_a_screenshot(folder):
    """A notebook whose stored outputs are what CI stores: a screenshot cell, and a cell after it."""
    cells = [
        nbformat.v4.new_code_cell("from workbook.notebook import show_page, use_chapter\nuse_chapter(1)"),
        nbformat.v4.new_code_cell("from main import app\nshow_page(app, '/', width=400, height=200)"),
        nbformat.v4.new_code_cell("print('the cell after')"),
        # A note where CI stored something else: skipped on a laptop, but never in CI.
        nbformat.v4.new_code_cell(
            "from IPython.display import display\n"
            f"display({{'text/plain': 'a note', {live.MISSING_MIME!r}: {{}}}}, raw=True)"),
    ]
    cells[0].outputs = [nbformat.v4.new_output(
        "stream", name="stdout",
        text="Chapter 1: Getting Started\n"
             "code: ch01_getting_started · database: a fresh SQLite file for this notebook\n")]
    cells[1].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="screenshot of / (400×200), page title: ''\n"),
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=",
                                                     "text/plain": "<IPython.core.display.Image object>"}),
    ]
    cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="the cell after\n")]
    cells[3].outputs = [nbformat.v4.new_output("stream", name="stdout", text="what CI printed\n")]
    for number, cell in enumerate(cells, 1):
        cell.execution_count = number
    document = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    path = folder / "screenshot.ipynb"
    nbformat.write(document, path)
    return path


@pytest.mark.parametrize("ci", [False, True], ids=["laptop", "ci"])
def test_nbval_skips_a_cell_that_noted_a_missing_browser_but_not_in_ci(ci, tmp_path):
    """Under nbval, a cell that said Chromium is missing is skipped with that line as its reason, and
    the cells after it are still compared; in CI the same cell fails, and so does any cell whose
    output differs, note or not."""
    path = notebook_with_a_screenshot(tmp_path)
    env, _ = laptop(tmp_path, ci=ci)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(chapters.ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "-p", "workbook.testing.services",
         "-p", "no:cacheprovider",
         "-rs", "-q", str(path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    summary = result.stdout.splitlines()[-1]
    if ci:
        assert "2 failed, 2 passed" in summary, result.stdout[-3000:]
        assert "CI needs this: no Chromium found" in result.stdout
    else:
        assert "2 passed, 2 skipped" in summary, result.stdout[-3000:]
        assert "no Chromium found: the screenshot is skipped; install" in result.stdout


# --------------------------------------------------------------------------- the browser they find


@pytest.fixture
def lookup(monkeypatch):
    """find_chromium afresh, with only what the test sets in the environment."""
    for name in ("WORKBOOK_CHROMIUM", "WORKBOOK_CHROMEDRIVER", "SE_MANAGER_PATH"):
        monkeypatch.delenv(name, raising=False)
    live._find_chromium.cache_clear()
    yield monkeypatch
    live._find_chromium.cache_clear()


def executable(path, text=""):
    path.write_text(text)
    path.chmod(0o755)
    return str(path)


def test_named_browser_is_the_only_one_tried(lookup, tmp_path):
    """WORKBOOK_CHROMIUM and WORKBOOK_CHROMEDRIVER name the browser: that pair, or none when either
    file is missing, whatever else the machine has."""
    browser, driver = executable(tmp_path / "chrome"), executable(tmp_path / "chromedriver")
    lookup.setenv("WORKBOOK_CHROMIUM", browser)
    lookup.setenv("WORKBOOK_CHROMEDRIVER", driver)
    assert live.find_chromium() == (browser, driver)
    lookup.setenv("WORKBOOK_CHROMEDRIVER", str(tmp_path / "gone"))
    assert live.find_chromium() is None
    lookup.setenv("WORKBOOK_CHROMIUM", str(tmp_path / "gone"))
    lookup.delenv("WORKBOOK_CHROMEDRIVER")
    assert live.find_chromium() is None


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for Selenium Manager")
def test_selenium_manager_is_asked_offline(lookup, tmp_path):
    """A browser without a named driver is completed by Selenium Manager, asked never to download
    anything nor send usage statistics."""
    browser, driver = executable(tmp_path / "chrome"), executable(tmp_path / "chromedriver")
    calls = tmp_path / "calls.txt"
    answer = json.dumps({"logs": [], "result": {"code": 0, "driver_path": driver, "browser_path": browser}})
    manager = executable(tmp_path / "selenium-manager", textwrap.dedent(f"""\
        #!/bin/sh
        echo "$@" >> {calls}
        echo '{answer}'
        """))
    lookup.setenv("SE_MANAGER_PATH", manager)
    lookup.setenv("WORKBOOK_CHROMIUM", browser)
    assert live.find_chromium() == (browser, driver)
    arguments = calls.read_text().split()
    assert {"--offline", "--avoid-browser-download", "--avoid-stats"} <= set(arguments)
    assert arguments[arguments.index("--browser-path") + 1] == browser


def flask_app():
    from flask import Flask

    return Flask("nothing-to-see")


def test_show_page_without_chromium_is_one_line(lookup, tmp_path, capsys):
    """On a laptop, show_page without a browser prints one line saying so and how to get one."""
    lookup.setenv("WORKBOOK_CHROMIUM", str(tmp_path / "gone"))
    lookup.delenv("CI", raising=False)
    notebook.show_page(flask_app(), "/")
    assert f"no Chromium found: the screenshot is skipped; {live.INSTALL_CHROMIUM}" in capsys.readouterr().out


def test_show_page_without_chromium_fails_in_ci(lookup, tmp_path):
    """In CI, show_page without a browser raises instead."""
    lookup.setenv("WORKBOOK_CHROMIUM", str(tmp_path / "gone"))
    lookup.setenv("CI", "true")
    with pytest.raises(live.Unavailable, match="CI needs this: no Chromium found"):
        notebook.show_page(flask_app(), "/")


# --------------------------------------------------------------------------- the code they show


@pytest.fixture
def selected(monkeypatch):
    def select(number):
        monkeypatch.setattr(notebook, "_selected", chapters.get(number))
        return chapters.get(number)
    return select


def test_show_source_shows_a_file_as_it_is_on_disk(selected):
    """`show_source(path)` is the chapter's file, character for character."""
    two = selected(2)
    assert notebook.source_text("config.py") == (two.path / "config.py").read_text().strip("\n")


def test_show_source_picks_definitions_with_their_comments(selected):
    """Named pieces come whole, in the file's order, with the comment lines above them, and a gap
    marker between pieces that are not next to each other."""
    selected(2)
    text = notebook.source_text("main.py", "Tag", "tags")
    assert text.startswith("# Many-to-many: a post has many tags")
    assert "\n\n# …\n\nclass Tag(db.Model):" in text
    assert text.endswith("""return "<Tag '{}'>".format(self.title)""")
    assert "class User" not in text and "class Post" not in text
    both = notebook.source_text("main.py", "tags", "User")  # only blank lines between: one piece
    assert "# …" not in both and "\n\n\nclass User(db.Model):" in both
    selected(4)
    method = notebook.source_text("main.py", "UserView.delete")
    assert method.startswith("    def delete(self, user_id):") and "def put" not in method
    routes = notebook.source_text("main.py", "user_view")  # an assignment and the lines under it
    assert routes.splitlines()[-1].startswith("app.add_url_rule('/user/<int:user_id>'")
    shown = notebook.source_text("main.py", "app.register_blueprint")
    assert shown == "app.register_blueprint(blog_blueprint)"
    selected(6)
    nested = notebook.source_text("webapp/__init__.py", "on_identity_loaded")
    assert nested.startswith("    @identity_loaded.connect_via(app)")


def test_show_source_picks_template_macros_and_blocks(selected):
    """In a template, a name is a macro (with the comment above it) or a block."""
    selected(3)
    macro = notebook.source_text("templates/macros.html", "render_pagination")
    assert macro.startswith("{# The book's pagination macro.")
    assert macro.endswith("{% endmacro %}") and macro.count("{% macro") == 1
    block = notebook.source_text("templates/home.html", "body")
    assert block.startswith("{% block body %}") and block.endswith("{% endblock %}")


def test_show_source_names_what_it_cannot_find(selected):
    """An unknown name is an error naming the file and the name, not an empty cell."""
    selected(2)
    with pytest.raises(LookupError, match="main.py has no definition or statement named 'Usr'"):
        notebook.source_text("main.py", "Usr")
    with pytest.raises(LookupError, match="no macro or block named 'sidebar'"):
        selected(3)
        notebook.source_text("templates/home.html", "sidebar")


def test_refresh_stores_nothing_from_a_run_that_lacked_the_browser(tmp_path, monkeypatch):
    """`python -m workbook.notebook refresh` runs as CI does: with no Chromium it fails, naming the
    cell, and leaves the stored outputs as they were instead of storing a note."""
    path = notebook_with_a_screenshot(tmp_path)
    before = path.read_text()
    env, _ = laptop(tmp_path)
    for name in set(os.environ) - set(env):
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    report = io.StringIO()
    assert notebook.refresh([types.SimpleNamespace(notebook=path)], out=report) == 1
    assert "screenshot.ipynb: a cell failed; the notebook is left as it was" in report.getvalue()
    assert "CI needs this: no Chromium found" in report.getvalue()
    assert path.read_text() == before


# --------------------------------------------------------------------------- what the helpers print


def test_captured_output_carries_no_terminal_colours(selected, capsys):
    """What a helper captures from a process (a `flask` command, a test run) is stored without the
    colour codes a terminal would draw: an output holds text, not escape sequences."""
    assert notebook.plain("\x1b[32m\x1b[1m7 passed\x1b[0m in \x1b[33m1.2s\x1b[0m") == "7 passed in 1.2s"
    selected(1)
    # pytest asked for colours (PY_COLORS) would draw them: terminal() asks for none, and strips any.
    notebook.terminal('python -c "print(\'\\x1b[31mred\\x1b[0m\')"')
    assert capsys.readouterr().out.splitlines()[1] == "red"


def test_flask_shows_the_settings_given_to_one_command(selected, capsys, monkeypatch, tmp_path):
    """`flask(..., env=…)` runs one command with more settings, shown in front of it as a shell would."""
    selected(1)
    monkeypatch.chdir(tmp_path)
    assert notebook.flask("--version", env={"WORKBOOK_EXAMPLE": "1"}) is None
    assert capsys.readouterr().out.startswith("$ WORKBOOK_EXAMPLE=1 flask --app main --version\n")


def test_page_helpers_read_what_a_page_says():
    """The token of a form, who is signed in, the debug toolbar's queries: read from a page's HTML,
    so that a notebook's cell says what it looks for, not how."""
    page = ('<nav><span id="signed-in">grace</span></nav>'
            '<form><input id="csrf_token" name="csrf_token" type="hidden" value="abc.def"></form>'
            '<div id="flDebugSQLAlchemyPanel-content"><table><tbody>'
            '<tr><td>0.31</td><td>x</td><td>./controllers/blog.py:87 (home)</td>'
            '<td>SELECT post. text, count (*) FROM post</td></tr></tbody></table></div>')
    assert notebook.csrf_token(page) == "abc.def"
    assert notebook.signed_in_as(page) == "grace"
    assert notebook.signed_in_as("<nav></nav>") == "nobody"
    assert notebook.toolbar_queries(page) == [
        (0.31, "blog.py:87 (home)", "SELECT post.text, count(*) FROM post")]


def test_log_lines_leave_out_times_and_task_ids():
    """A Celery log line, as a notebook prints it: without its time, level and process, nor the task's
    id (each differs at every run)."""
    log = ("[2026-12-08 01:03:56,714: INFO/MainProcess] webapp.tasks.send_due_reminders"
           "[0b7c3f0e-1d2a-4c4b-9a55-2f7b1e0c9d11]: queued 1 due reminders: [2]\n"
           "worker: Warm shutdown (MainProcess)\n")
    worker = types.SimpleNamespace(output=lambda: log)
    assert notebook.log_lines(worker, "due reminders") == [
        "webapp.tasks.send_due_reminders: queued 1 due reminders: [2]"]
    assert notebook.log_lines(worker, "Warm shutdown") == ["worker: Warm shutdown (MainProcess)"]
