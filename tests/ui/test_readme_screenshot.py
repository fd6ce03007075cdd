"""Each chapter's README opens with a screenshot of the chapter's main page, taken by this test in
headless Chromium with the chapter's demo data, not drawn by hand. After a change to the page, take it
again:

    python -m pytest --chapter N tests/ui/test_readme_screenshot.py --screenshots
"""
import struct

import pytest

from workbook import live

pytestmark = pytest.mark.chapters(since=1)

SCREENSHOT = "screenshot.png"
WIDTH, HEIGHT = 1000, 600


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height, from its IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.snapshot_convention("the workbook's chapter READMEs open with a screenshot")
def test_readme_opens_with_a_screenshot_of_the_main_page(app, chapter, url_for, live_server, chromium,
                                                         request):
    """The chapter's README opens with a screenshot of its main page as Chromium shows it."""
    # With demo posts where the chapter has `flask seed`.
    if "seed" in app.cli.commands:
        result = app.test_cli_runner().invoke(args=["seed", "--posts", "30"])
        assert result.exit_code == 0, result.output
    live.set_viewport(chromium, WIDTH, HEIGHT)
    try:
        chromium.get(live_server + url_for(chapter.home))
        taken = chromium.get_screenshot_as_png()
    finally:
        live.set_viewport(chromium, None, None)  # the session's browser, as the other tests expect it
    assert png_size(taken) == (WIDTH, HEIGHT)

    stored = chapter.path / SCREENSHOT
    if request.config.getoption("screenshots"):
        stored.write_bytes(taken)
    assert stored.exists(), f"no {SCREENSHOT}: take it with --screenshots"
    assert png_size(stored.read_bytes()) == (WIDTH, HEIGHT)
    title, blank, image = (chapter.path / "README.md").read_text().splitlines()[:3]
    assert title.startswith("# ") and blank == ""
    assert image == f"![The main page of {chapter.label}]({SCREENSHOT})"
