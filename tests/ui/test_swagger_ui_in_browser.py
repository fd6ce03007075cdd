"""Chapter 8's Swagger UI in a real browser: it lists the API's operations and "Try it out" calls the API."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.chapters(since=8)


def test_swagger_ui_lists_the_operations_and_tries_one(make, browser, live_server):
    """/api/doc in Chromium lists every operation; "Try it out" on GET /post shows the blog's posts,
    with no Content-Security-Policy violation on the way."""
    make.post("Seen through Swagger", author="ann")
    browser.get_log("browser")
    browser.get(live_server + "/api/doc")
    wait = WebDriverWait(browser, 15)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".opblock")))
    listed = {(block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text,
               block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").text.replace("\u200b", ""))
              for block in browser.find_elements(By.CSS_SELECTOR, ".opblock")}
    assert listed == {("POST", "/auth"), ("GET", "/post"), ("POST", "/post"),
                      ("GET", "/post/{post_id}"), ("PUT", "/post/{post_id}"),
                      ("DELETE", "/post/{post_id}")}

    listing = browser.find_element(By.CSS_SELECTOR, "#operations-default-get_post_list_api")
    listing.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    operation = "#operations-default-get_post_list_api"
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, f"{operation} .try-out__btn"))).click()
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, f"{operation} .execute"))).click()
    live = wait.until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, "#operations-default-get_post_list_api .live-responses-table")))
    wait.until(lambda _: "Seen through Swagger" in live.text)
    assert "200" in live.text
    assert not [entry["message"] for entry in browser.get_log("browser")
                if "Content Security Policy" in entry["message"]]
