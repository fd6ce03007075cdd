"""What a reader does in a real browser from chapter 3 on: read a post and leave a comment."""
import datetime

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.chapters(since=3)


def test_click_to_a_post_and_comment(make, browser, live_server):
    """From the home page, Chromium clicks a post's title, fills in the comment form and sees the comment."""
    for n in range(3):
        make.post(f"Browser post {n}", text=f"Text {n}", date=datetime.datetime(2015, 1, 1 + n))
    browser.get(live_server + "/")
    assert browser.find_element(By.CSS_SELECTOR, "a.navbar-brand").text == "My Blog"
    browser.find_element(By.LINK_TEXT, "Browser post 1").click()
    wait = WebDriverWait(browser, 10)
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Browser post 1"))
    browser.find_element(By.ID, "name").send_keys("Selenium")
    browser.find_element(By.ID, "text").send_keys("Written by a browser.")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "comments"), "Written by a browser."))
    comments = browser.find_element(By.ID, "comments").text
    assert "Comments (1)" in comments and "Selenium" in comments
    assert "Browser post 1" in browser.title
