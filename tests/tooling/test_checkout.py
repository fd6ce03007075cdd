"""`workbook checkout`: what it refuses. That a checkout installs from its own requirements and passes
its tests, every command of its README working as written in a venv made in the folder, is
test_checkout_readme.py's."""
from workbook import chapters


def test_checkout_refuses_a_folder_that_is_not_empty(tmp_path, workbook):
    """`workbook checkout` into a non-empty folder says so in one line and touches nothing."""
    (tmp_path / "mine.txt").write_text("keep me")
    result = workbook("checkout", "1", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == f"workbook: {tmp_path} is not empty: name a new or empty folder\n"
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_the_finished_webapp_is_not_checked_out(tmp_path, workbook):
    """`workbook checkout webapp` (no notebook: a folder to copy) says so in one line, writes nothing."""
    result = workbook("checkout", "webapp", str(tmp_path / "app"))
    assert result.returncode == 1
    assert result.stderr == (f"workbook: webapp is not a chapter with a notebook: copy "
                             f"{chapters.get('webapp').path} instead\n")
    assert not (tmp_path / "app").exists()
