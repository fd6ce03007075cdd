"""What a new writer does in a real browser from chapter 6 on: register, log in, post, log out."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.chapters(since=6)


def fill(browser, **fields):
    for name, value in fields.items():
        browser.find_element(By.ID, name).send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()


def write_in_the_editor(browser, text):
    """Type into CKEditor (the post's text from chapter 6 on): its editing area is a frame's body."""
    WebDriverWait(browser, 10).until(lambda b: b.execute_script(
        "return window.CKEDITOR && CKEDITOR.instances.text && CKEDITOR.instances.text.status === 'ready'"))
    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe.cke_wysiwyg_frame"))
    body = browser.find_element(By.CLASS_NAME, "cke_editable")
    body.click()
    body.send_keys(text)
    browser.switch_to.default_content()


def test_register_login_write_a_post_and_logout(app, browser, live_server):
    """Chromium registers, is made a poster, logs in, writes a post in the editor (CKEditor), sees it
    on the home page, logs out."""
    wait = WebDriverWait(browser, 10)
    browser.get(live_server + "/")
    browser.find_element(By.ID, "register").click()
    wait.until(EC.title_is("Register"))
    fill(browser, username="writer", password="a long password", confirm="a long password")
    wait.until(EC.title_is("Login"))
    assert "Your user has been created, please login." in browser.page_source

    # A new user may comment, not post: the site's owner makes them a poster.
    result = app.test_cli_runner().invoke(args=["add-role", "writer", "poster"])
    assert result.exit_code == 0, result.output

    fill(browser, username="writer", password="a long password")
    wait.until(EC.presence_of_element_located((By.ID, "signed-in")))
    assert browser.find_element(By.ID, "signed-in").text == "writer"
    browser.find_element(By.ID, "new-post").click()
    wait.until(EC.title_is("New post"))
    write_in_the_editor(browser, "Registered, logged in, and posting.")
    fill(browser, title="Written in Chromium")
    wait.until(EC.title_is("Written in Chromium"))
    assert browser.find_element(By.ID, "edit-post").text == "Edit"
    text = browser.find_element(By.CSS_SELECTOR, ".post-text").get_attribute("innerHTML").strip()
    assert text == "<p>Registered, logged in, and posting.</p>"

    browser.find_element(By.CSS_SELECTOR, "a.navbar-brand").click()
    wait.until(EC.presence_of_element_located((By.LINK_TEXT, "Written in Chromium")))
    browser.find_element(By.ID, "logout").click()
    wait.until(EC.title_is("Login"))
    assert "You have been logged out." in browser.page_source
    assert not browser.find_elements(By.ID, "signed-in")
    assert browser.find_element(By.ID, "login").text == "Login"
