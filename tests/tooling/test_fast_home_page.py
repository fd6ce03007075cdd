"""The appendix "beyond the book: making the home page fast" (benchmarks/fast_home_page/): its tests,
which mount its home page on the finished app, pass."""
import subprocess
import sys

from workbook import chapters

APPENDIX = chapters.ROOT / "benchmarks" / "fast_home_page"


def test_the_fast_home_page_mounted_on_the_finished_app_passes_its_tests():
    """`python -m pytest --chapter=webapp benchmarks/fast_home_page` passes: the fast page's three
    statements, its pager, its kept links and bundle URLs, its flat cost on SQLite, and its statements
    kept prepared and planned on PostgreSQL (skipped without PostgreSQL on a laptop, failed in CI)."""
    run = subprocess.run([sys.executable, "-m", "pytest", "--chapter=webapp", str(APPENDIX), "-q"],
                         cwd=chapters.ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and " failed" not in run.stdout, run.stdout[-2000:]
