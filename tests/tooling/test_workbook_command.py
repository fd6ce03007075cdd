"""The `workbook` command, as a learner or an instructor uses it."""
import os
import sys
import tomllib
import urllib.request

from workbook import chapters, cli

ROOT = chapters.ROOT


def test_list_names_every_chapter_and_its_sections(capsys):
    """`workbook list` prints every chapter with its title and the book sections it covers."""
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for chapter in chapters.CHAPTERS:
        assert f"{chapter.number or '':>2}  {chapter.title}  [{chapter.name}]" in out
        assert f"book sections: {' · '.join(chapter.sections)}" in out


def test_unknown_chapter_is_one_line(workbook):
    """An unknown chapter number exits non-zero with one line naming the valid chapters."""
    result = workbook("diff", "1", "99")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    valid = ", ".join(str(c.number or c.name) for c in chapters.CHAPTERS)
    assert f"no chapter 99; chapters are: {valid}" in result.stderr


def test_diff_shows_what_chapter_2_added(capsys):
    """`workbook diff 1 2` shows chapter 2's new lines and new files, file by file."""
    assert cli.main(["diff", "1", "2"]) == 0
    out = capsys.readouterr().out
    assert "--- a/ch01_getting_started/main.py\n+++ b/ch02_models/main.py\n" in out
    assert "+db = SQLAlchemy(app)\n" in out
    assert "--- /dev/null\n+++ b/ch02_models/migrations/versions/0001_user_table.py\n" in out
    assert cli.main(["diff", "2", "2"]) == 0
    assert capsys.readouterr().out == ""


def test_diff_shows_the_code_first_and_the_readme_on_request(capsys):
    """`workbook diff 10 12` shows the code's changes, and only a line for the README, whose diff
    `--docs` adds after the code."""
    assert cli.main(["diff", "10", "12"]) == 0
    out = capsys.readouterr().out
    files = [line for line in out.splitlines() if line.startswith("+++ ")]
    assert files and not any(line.endswith("README.md") for line in files)
    assert out.rstrip().splitlines()[-1].split("|")[0].strip() == "README.md"
    assert "`--docs` shows it" in out
    assert cli.main(["diff", "10", "12", "--docs"]) == 0
    files = [line for line in capsys.readouterr().out.splitlines() if line.startswith("+++ ")]
    assert files[-1] == "+++ b/ch12_testing/README.md"


def test_diff_stat_and_paths_narrow_the_diff(capsys):
    """`workbook diff 5 6 --stat` prints a line per changed file; a path keeps only the files under it."""
    assert cli.main(["diff", "5", "6", "--stat"]) == 0
    stat = capsys.readouterr().out.splitlines()
    assert any(line.split("|")[0].strip() == "webapp/models.py" for line in stat)
    assert not any(line.startswith(("---", "+++", "@@")) for line in stat)
    assert stat[-1].strip().endswith("deletions(-)") and "files changed" in stat[-1]
    assert cli.main(["diff", "5", "6", "webapp/templates"]) == 0
    files = [line for line in capsys.readouterr().out.splitlines() if line.startswith("+++ ")]
    assert files and all("/webapp/templates/" in line for line in files)


def test_diff_shows_what_the_finished_app_adds_to_the_last_chapter(capsys):
    """`workbook diff 12 webapp --stat` names only what the finished app adds (its demo accounts, the
    servers from the environment, its README), nothing chapter 12 already had."""
    assert cli.main(["diff", "12", "webapp", "--stat"]) == 0
    changed = {line.split("|")[0].strip() for line in capsys.readouterr().out.splitlines()[:-1]}
    assert "webapp/demo.py" in changed and "README.md" in changed
    assert not changed & {"tests/test_urls.py", "tests/test_ui.py", "pytest.ini", "requirements.txt"}


def test_flask_works_on_the_database_run_serves(tmp_path, workbook):
    """`workbook flask 6 …` runs the chapter's own commands on `workbook run 6`'s database; before
    `db upgrade` a command says so in one line."""
    env = {**os.environ, "WORKBOOK_DATA": str(tmp_path)}
    early = workbook("flask", "6", "add-role", "alice", "poster", env=env)
    assert early.returncode == 1
    assert early.stderr == "Error: the database has no tables yet: run `flask db upgrade` first\n"
    assert workbook("flask", "6", "db", "upgrade", env=env).returncode == 0
    assert workbook("flask", "6", "add-user", "alice", "--password", "long enough", env=env).returncode == 0
    done = workbook("flask", "6", "add-role", "alice", "poster", env=env)
    assert done.returncode == 0 and done.stdout == "alice has the roles: default, poster\n"
    assert (tmp_path / "ch06_security.db").exists()


def test_run_serves_the_chapter(tmp_path, serve_command):
    """`workbook run 2` builds the chapter's database and serves it on 127.0.0.1."""
    url = serve_command(
        lambda port: [sys.executable, "-m", "workbook.cli", "run", "2", "--port", str(port)],
        cwd=ROOT, env={**os.environ, "WORKBOOK_DATA": str(tmp_path)},
    )
    with urllib.request.urlopen(url + "/") as response:
        assert response.status == 200
    assert (tmp_path / "ch02_models.db").exists()


def test_a_checkout_whose_tests_use_the_workers_installs_what_they_import():
    """When a checkout's tests import workbook.workers (copied into every checkout), its requirements
    hold what that module imports: aiosmtpd, the mail server."""
    assert "\naiosmtpd==" in cli.requirements(chapters.get(9), ["from workbook import workers\n"])
    assert cli.imports_workers(["import workbook.workers as w\n"])
    assert not cli.imports_workers(["from workbook import live\n"])


def test_chapter_requirements_match_the_lock():
    """Each chapter's requirements.txt pins the versions of the workbook's lock."""
    lock = cli.read_lock()
    for chapter in chapters.CHAPTERS:
        for line in (chapter.path / "requirements.txt").read_text().splitlines():
            if "==" in line and not line.startswith("#"):
                name, version = line.split("==")
                assert lock[name.split("[")[0].lower()] == version, f"{chapter.name}: {line}"


def test_every_chapter_has_its_folder_readme_and_notebook():
    """Every listed chapter has its snapshot, a README with a book → today table, and a notebook;
    the finished webapp/ (no number) has its folder and a README, and no notebook."""
    for chapter in chapters.CHAPTERS:
        assert chapter.path.is_dir(), chapter.name
        assert (chapter.path / chapter.entry_point).exists(), chapter.name
        readme = (chapter.path / "README.md").read_text()
        if chapter.number is None:
            assert not chapter.notebook.exists(), chapter.name
            continue
        assert "## Book → today" in readme, chapter.name
        assert chapter.notebook.exists(), chapter.name


def test_readme_chapter_table_lists_every_chapter():
    """The README's chapter table has a row for every chapter in the list (the webapp's too: its
    title and its folder)."""
    readme = (ROOT / "README.md").read_text()
    for chapter in chapters.CHAPTERS:
        folder = chapter.path.relative_to(ROOT).as_posix()
        assert f"| {chapter.title} | [`{folder}`]({folder}) |" in readme, chapter.name


def test_ci_runs_the_readme_test_command():
    """.ci/run runs the test command the README gives, not a private variant."""
    readme = (ROOT / "README.md").read_text()
    command = readme.split("<!-- test-command -->")[1].split("```sh\n")[1].split("\n```")[0].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "readme_command test-command" in ci
    assert command.startswith("python3 -m pip install -r requirements/nox.txt")


def test_lock_pins_every_declared_dependency():
    """Every dependency pyproject.toml declares is pinned in requirements/lock.txt."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = cli.read_lock()
    declared = project["dependencies"] + project["optional-dependencies"]["dev"]
    for requirement in declared:
        assert requirement.split("[")[0].lower() in lock, requirement


def test_hints_name_the_command_as_the_shell_finds_it(monkeypatch, tmp_path):
    """The commands `workbook run` suggests start with `workbook` only where the shell finds this
    command; otherwise with the path of the venv's script, which works as typed."""
    script = os.path.join(os.path.dirname(sys.executable), "workbook")
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable))
    assert cli.this_command() == "workbook"
    monkeypatch.setenv("PATH", str(tmp_path))  # a shell whose venv is not active
    monkeypatch.chdir(tmp_path)
    typed = cli.this_command()
    assert typed != "workbook" and os.path.samefile(tmp_path / typed, script)
