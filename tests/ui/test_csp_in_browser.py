"""The pages satisfy their own Content-Security-Policy in a real browser (chapter 6 on): Chromium
blocks nothing on any page, for a visitor or for a poster."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.chapters(since=6)

# Runs before any of a page's own scripts: keeps every CSP violation the page reports.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', function (event) {
  window.cspViolations.push(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline'));
});
"""


@pytest.fixture
def watched(browser):
    """The browser, recording CSP violations on every page it opens; yields a function that visits."""
    browser.get_log("browser")  # what earlier tests left in the log
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})

    def visit(url, title=None):
        browser.get(url)
        if title:
            WebDriverWait(browser, 10).until(EC.title_contains(title))
        WebDriverWait(browser, 10).until(
            lambda b: b.execute_script("return document.readyState") == "complete")
        violations = browser.execute_script("return window.cspViolations || []")
        console = [entry["message"] for entry in browser.get_log("browser")
                   if "Content Security Policy" in entry["message"]]
        assert violations == [] and console == [], f"{url}: {violations} {console}"

    yield visit
    browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})


def test_no_page_breaks_the_content_security_policy(app, make, auth, browser, watched, live_server):
    """Home, a post with its comment form, a tag, a user, about, login, register, 404, and a poster's
    new-post and edit pages: Chromium reports no CSP violation on any of them."""
    poster = auth.user("writer", "poster")
    post = make.post("Under a policy", author=poster, tags=["flask"])
    for path, title in (("/", "My Blog"), (f"/blog/post/{post.id}", "Under a policy"),
                        ("/blog/tag/flask", None), ("/blog/user/writer", None), ("/about", None),
                        ("/login", "Login"), ("/register", "Register"), ("/no/such/page", None)):
        watched(live_server + path, title)

    # The policy is in force (not merely unbroken because there is none): an inline script that
    # something slipped into the page does not run.
    assert browser.execute_script("""
        const script = document.createElement('script');
        script.textContent = 'window.inlineScriptRan = true';
        document.head.appendChild(script);
        return window.inlineScriptRan === true;""") is False
    browser.get_log("browser")

    # Signed in as a poster: the navigation bar's logout form, the new-post and edit forms.
    browser.get(live_server + "/login")
    browser.find_element(By.ID, "username").send_keys("writer")
    browser.find_element(By.ID, "password").send_keys(auth.password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "signed-in")))
    for path in ("/", "/blog/new", f"/blog/edit/{post.id}", f"/blog/post/{post.id}"):
        watched(live_server + path)
    assert browser.find_element(By.ID, "signed-in").text == "writer"


@pytest.mark.chapters(since=10)
def test_the_debug_toolbar_runs_under_the_development_policy(make_app, database_url, browser, watched):
    """In development, a page shows Flask-DebugToolbar, its inline scripts run, and Chromium reports no CSP
    violation."""
    from workbook import live

    app = make_app(database_url, "DevConfig")
    with app.app_context():
        app.extensions["sqlalchemy"].create_all()
    with live.serving(app, quiet=True) as url:
        watched(url + "/blog/", "My Blog")
        WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.ID, "flDebugToolbar")))
        assert browser.execute_script("return typeof DEBUG_TOOLBAR_STATIC_PATH") == "string"
