"""What a reader sees in a real browser on chapters 1–2."""
import pytest
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.chapters(since=1, until=2)


def test_browser_shows_hello_heading(browser, live_server):
    """Chromium shows the heading "Hello World!" on the home page."""
    browser.get(live_server + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Hello World!"
