"""Chapter 10's admin in a real browser: an admin writes a post in CKEditor and the blog shows it."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.chapters(since=10)


def policy_complaints(browser):
    return [entry["message"] for entry in browser.get_log("browser")
            if "Content Security Policy" in entry["message"]]


def test_an_admin_writes_a_post_in_the_editor(auth, browser, live_server):
    """An admin logs in, opens the admin's new-post page (CKEditor starts, from this site), makes
    some words bold with the toolbar's button, saves, and the blog shows the post with them in bold;
    Chromium reports no Content-Security-Policy violation on the way."""
    auth.user("root", "admin")
    wait = WebDriverWait(browser, 15)
    browser.get_log("browser")  # what earlier tests left in the log
    browser.get(live_server + "/login")
    browser.find_element(By.ID, "username").send_keys("root")
    browser.find_element(By.ID, "password").send_keys(auth.password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.ID, "admin-link"))).click()
    wait.until(EC.url_to_be(live_server + "/admin/"))

    browser.get(live_server + "/admin/post/new/")
    wait.until(lambda b: b.execute_script(
        "return window.CKEDITOR && CKEDITOR.instances.text && CKEDITOR.instances.text.status === 'ready'"))
    assert browser.execute_script("return CKEDITOR.basePath").startswith(live_server)
    browser.find_element(By.ID, "title").send_keys("Bold from the admin")
    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe.cke_wysiwyg_frame"))
    browser.find_element(By.TAG_NAME, "body").click()
    browser.find_element(By.TAG_NAME, "body").send_keys("Plain then ")
    browser.switch_to.default_content()
    browser.find_element(By.CSS_SELECTOR, "a.cke_button__bold").click()  # its onclick is inline
    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe.cke_wysiwyg_frame"))
    browser.find_element(By.TAG_NAME, "body").send_keys("bold words")
    browser.switch_to.default_content()
    assert "<strong>bold words</strong>" in browser.execute_script("return CKEDITOR.instances.text.getData()")
    assert policy_complaints(browser) == []

    browser.find_element(By.CSS_SELECTOR, "input[type=submit].btn-primary").click()
    wait.until(EC.url_to_be(live_server + "/admin/post/"))
    assert policy_complaints(browser) == []

    browser.get(live_server + "/blog/")
    browser.find_element(By.LINK_TEXT, "Bold from the admin").click()
    bold = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".post-text strong")))
    assert bold.text == "bold words"
    assert "Plain then" in browser.find_element(By.CSS_SELECTOR, ".post-text").text
    assert policy_complaints(browser) == []
