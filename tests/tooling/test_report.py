"""The figures a full run leaves behind: each chapter session's tests and branch coverage, written by
the coverage plugin, and the table nox's `report` session prints from them at the end."""
import json
import os
import subprocess
import sys

from workbook import chapters


def test_a_whole_chapter_run_leaves_its_figures_and_report_prints_them(tmp_path):
    """A whole run of chapter 1 with WORKBOOK_RESULTS set leaves its tests and coverage there, a narrowed
    run (its notebook alone, which runs the code in its kernel: nothing measured here) passes and leaves
    nothing, and `nox -s report` prints them as chapter 1's row (others: "not run")."""
    env = {**os.environ, "WORKBOOK_RESULTS": str(tmp_path)}
    pytest = [sys.executable, "-m", "pytest", "--chapter", "1", "-q", "-p", "no:cacheprovider"]
    narrowed = subprocess.run([*pytest, str(chapters.get(1).notebook)], cwd=chapters.ROOT, env=env,
                              capture_output=True, text=True)
    assert narrowed.returncode == 0, narrowed.stdout[-2000:]
    assert list(tmp_path.iterdir()) == []

    whole = subprocess.run(pytest, cwd=chapters.ROOT, env=env, capture_output=True, text=True)
    assert whole.returncode == 0, whole.stdout[-2000:]
    figures = json.loads((tmp_path / "ch01_getting_started.json").read_text())
    passed = int(whole.stdout.splitlines()[-1].split(" passed")[0].split()[-1])
    assert figures["chapter"] == "chapter 1" and figures["tests"] == passed
    assert figures["floor"] == chapters.get(1).coverage_floor and 90 <= figures["coverage"] <= 100

    figures["seconds"] = 7
    (tmp_path / "ch01_getting_started.json").write_text(json.dumps(figures))
    report = subprocess.run([sys.executable, "-m", "nox", "-s", "report"], cwd=chapters.ROOT, env=env,
                            capture_output=True, text=True)
    assert report.returncode == 0, report.stderr[-2000:]
    rows = [line for line in report.stdout.splitlines() if line.startswith("|")]
    assert f"| chapter 1 | {passed} | {figures['coverage']:.1f}% (90%) | 7 |" in rows
    assert "| ch02_models | not run | | |" in rows and rows[-1] == "| all | | | 7 |"
