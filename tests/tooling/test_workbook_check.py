"""`workbook check N DIR` on a learner's own folder: it passes code written the book's way with today's
tools, says why each ✗ fails, counts each behaviour once and checks the names the book gives."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workbook import chapters, cli

ROOT = chapters.ROOT
CH02 = chapters.get(2)
SUMMARY = re.compile(r"^(\d+) of (\d+) behaviours hold")


@pytest.fixture(scope="module")
def check():
    """`workbook check N DIR`, as a learner runs it."""

    def run(number: int, folder: Path, *options: str) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "workbook.cli", "check", str(number), str(folder),
                                 *options], cwd=ROOT, capture_output=True, text=True)
        # A learner never sees the node ids of the workbook's own test files.
        assert "tests/" not in result.stdout and "::" not in result.stdout, result.stdout
        return result

    return run


def lines_of(result) -> list[str]:
    return result.stdout.splitlines()


def verdicts(result) -> list[str]:
    """The ✓/✗/not-checked lines: one per behaviour."""
    return [line for line in lines_of(result) if line.startswith(("✓", "✗", "–"))]


def under(result, verdict: str) -> list[str]:
    """The explanation lines printed under one verdict line (indented)."""
    lines = lines_of(result)
    start = lines.index(verdict) + 1
    found = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        found.append(line.strip())
    return found


def assert_counted_once(result):
    """Every behaviour is one line, and the summary counts those lines."""
    shown = verdicts(result)
    assert len(shown) == len(set(shown)), shown
    summary = next(line for line in lines_of(result) if SUMMARY.match(line))
    held, total = map(int, SUMMARY.match(summary).groups())
    assert held == sum(line.startswith("✓") for line in shown)
    assert total == sum(line.startswith(("✓", "✗")) for line in shown)
    return total


@pytest.fixture(scope="module")
def book_folder(tmp_path_factory) -> Path:
    """Chapter 2 as a reader of the book writes it today: main.py and config.py, then
    `flask db init`, `flask db migrate` and `flask db upgrade` (stock env.py, one migration)."""
    folder = tmp_path_factory.mktemp("learner") / "my-blog"
    folder.mkdir()
    for name in ("main.py", "config.py"):
        shutil.copy2(CH02.path / name, folder / name)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLASK_APP")}
    for step in (["db", "init"], ["db", "migrate", "-m", "users posts comments tags"],
                 ["db", "upgrade"]):
        done = subprocess.run(CH02.flask_command(*step), cwd=folder, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    assert "db.get_engine()" in (folder / "migrations" / "env.py").read_text()
    assert len(list((folder / "migrations" / "versions").glob("*.py"))) == 1
    return folder


def test_check_passes_chapter_2_made_with_todays_flask_db(book_folder, check):
    """A chapter-2 folder whose migrations `flask db init/migrate` wrote passes, each behaviour once."""
    result = check(2, book_folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [line for line in verdicts(result) if line.startswith("✗")], result.stdout
    total = assert_counted_once(result)
    databases = [line for line in verdicts(result) if "on SQLite, PostgreSQL and MariaDB" in line]
    assert len(databases) == 1, databases
    assert "✓ `flask db upgrade` creates every table of the models, and nothing else but " \
           "alembic_version." in lines_of(result)
    # The workbook's own split of the migration in two is not asked of a learner.
    convention = [line for line in verdicts(result) if line.startswith("– not checked")]
    assert [line for line in convention if "first revision" in line], result.stdout
    # The deprecation warning of the generated env.py is a note, not a failure of the learner.
    assert any(line.startswith("note: migrations/env.py") for line in lines_of(result)), result.stdout
    assert f"{total} of {total} behaviours hold" in result.stdout


def mistake_folder(tmp_path: Path, *edits: tuple[str, str, str], chapter=CH02) -> Path:
    """A copy of a chapter's snapshot (chapter 2's unless told) with (file, old, new) replacements,
    each of which must apply."""
    folder = tmp_path / "mine"
    shutil.copytree(chapter.path, folder, ignore=cli.IGNORED)
    for name, old, new in edits:
        paths = sorted(folder.rglob("*.py")) if name == "*" else [folder / name]
        changed = False
        for path in paths:
            text = path.read_text()
            if old in text:
                path.write_text(text.replace(old, new))
                changed = True
        assert changed, (name, old)
    return folder


MISTAKES = {
    "backref missing": (
        [("main.py", "        backref='user',\n", "")],
        {"✗ A post given a user appears in user.posts, and post.user points back (backref).":
             ["user.posts should list the post; it lists []"],
         "✗ Users, posts, comments and tags are stored and read back the same on SQLite, PostgreSQL "
         "and MariaDB. (fails on sqlite, postgresql, mariadb)":
             ["AttributeError: 'Post' object has no attribute 'user'"],
         "✗ The tables, columns and relationships carry the book's names.": ["user"]},
    ),
    "__repr__ different": (
        [("main.py", "return \"<User '{}'>\".format(self.username)", "return \"<User {}>\".format(self.id)")],
        {"✗ A user added to the session and committed can be read back, with the book's repr.":
             ["'<User 1>' != \"<User 'fake_name'>\""]},
    ),
    "association table renamed": (
        [("*", "post_tags", "post_tag")],
        {"✗ A tag on two posts lists both, and each post lists its tags (through post_tags).":
             ["post_tag", "post_tags"],
         "✗ The tables, columns and relationships carry the book's names.": ["post_tag", "post_tags"]},
    ),
    # The test fails, and its teardown (downgrading what it built) errors too: one ✗, not two.
    "migration misnames a table": (
        [("migrations/versions/0002_posts_comments_tags.py", "op.create_table('post_tags',",
          "op.create_table('post_tagz',")],
        {"✗ `flask db upgrade` creates every table of the models, and nothing else but alembic_version. "
         "(fails on sqlite, postgresql, mariadb)":
             ["the migrations create post_tagz, which no model has; the migrations do not create "
              "post_tags, which the models have"]},
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_check_says_what_fails_and_why(mistake, tmp_path, check):
    """Each learner mistake gets its ✗, once, with the reason under it; the rest still hold."""
    edits, expected = MISTAKES[mistake]
    result = check(2, mistake_folder(tmp_path, *edits))
    assert result.returncode == 1, result.stdout + result.stderr
    shown = verdicts(result)
    for verdict, words in expected.items():
        assert verdict in shown, f"{verdict!r} not in:\n{result.stdout}"
        reasons = under(result, verdict)
        assert 1 <= len(reasons) <= 2, (verdict, reasons)
        for word in words:
            assert any(word in reason for reason in reasons), (verdict, word, reasons)
    assert_counted_once(result)
    failed = [line for line in shown if line.startswith("✗")]
    assert f"; {len(failed)} to fix" in result.stdout
    assert "✓ `flask shell` also holds `db` and the models User, Post, Comment and Tag." in shown


def test_cases_of_one_behaviour_make_one_line():
    """A behaviour's cases are one line: the databases it fails on, or those it could not be checked on."""
    def case(name, outcome, why=(), skip=None):
        return {"test": "t", "behaviour": "Stored and read back the same.", "case": name,
                "outcome": outcome, "why": list(why), "skip": skip}

    failing = cli.behaviours([case("sqlite", "passed"), case("postgresql", "failed", ["Boom: x"]),
                              case("mariadb", "failed", ["Boom: y"])])
    assert [cli.verdict(r) for r in failing] == [
        ["✗ Stored and read back the same. (fails on postgresql, mariadb)", "    Boom: x"]]
    partly = cli.behaviours([case("sqlite", "passed"), case("mariadb", "skipped", skip="no MariaDB")])
    assert [cli.verdict(r) for r in partly] == [
        ["✓ Stored and read back the same. (not checked on mariadb)"]]
    unchecked = cli.behaviours([case(None, "skipped", skip="not checked: the workbook's own")])
    assert [cli.verdict(r) for r in unchecked] == [
        ["– not checked: Stored and read back the same.", "    the workbook's own"]]


def test_check_passes_a_faithful_copy(tmp_path, check):
    """`workbook check 1 DIR` on a copy of the snapshot: every behaviour holds, exit 0."""
    result = check(1, mistake_folder(tmp_path, chapter=chapters.get(1)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✗" not in result.stdout
    assert '✓ The home page says "Hello World!" in a heading.' in result.stdout


def test_check_names_the_broken_behaviour(tmp_path, check):
    """`workbook check` on a folder with one behaviour broken names it and says the rest hold."""
    mine = mistake_folder(tmp_path, ("main.py", "Hello World!", "Hello, World"), chapter=chapters.get(1))
    result = check(1, mine, "--all")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    failed = [line for line in lines if line.startswith("✗")]
    assert failed == ['✗ The home page says "Hello World!" in a heading.',
                      '✗ Chromium shows the heading "Hello World!" on the home page.']
    assert "✓ DevConfig turns debug on; ProdConfig does not." in lines
    assert any(line.endswith("behaviours hold; 2 to fix; 1 not checked") for line in lines)


def test_a_faithful_copy_of_chapter_9_passes_its_task_tests_in_any_order(tmp_path):
    """A copy of chapter 9 passes its reminder tests under --chapter-dir: its modules are imported
    once, as the snapshot's are, so no test meets a Celery task bound to another import's database."""
    mine = mistake_folder(tmp_path, chapter=chapters.get(9))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--chapter=9", f"--chapter-dir={mine}", "--no-coverage", "-q",
         "tests/unit/test_reminders.py"],
        cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert " failed" not in result.stdout.splitlines()[-1]


def test_a_task_decorator_mistake_is_one_cause_at_its_definition(tmp_path, check):
    """A learner's `remind` without bind=True: the behaviours it breaks make one ✗, which points at
    the task's definition (not where it is called, nor where its failure was caught) and names the fix."""
    mine = mistake_folder(tmp_path, ("webapp/tasks.py", "@shared_task(bind=True, ", "@shared_task("),
                          chapter=chapters.get(9))
    result = check(9, mine, "tests/unit/test_reminders.py")
    assert result.returncode == 1, result.stdout + result.stderr
    failed = [line for line in verdicts(result) if line.startswith("✗")]
    shared = [line for line in failed if "behaviours fail for one reason" in line]
    # One ✗ in all: also the tests that saw only a consequence (a task the commit could not queue,
    # which the app logged) point at the decorator.
    assert len(shared) == 1 and failed == shared, result.stdout
    reasons = under(result, shared[0])
    assert any(line.startswith("in your webapp/tasks.py") and "def remind(self" in line for line in reasons)
    assert any("bind=True" in line for line in reasons), reasons
    assert not any("apply_async" in line for line in reasons), reasons
