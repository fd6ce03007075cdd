import os
import unittest
from urllib.error import URLError
from urllib.request import urlopen

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

# The app that run_test_server.py serves (the book's http://localhost:5000).
URL = os.environ.get('TEST_SERVER_URL', 'http://localhost:5000')
CHROMIUM = os.environ.get('WORKBOOK_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('WORKBOOK_CHROMEDRIVER', '/usr/bin/chromedriver')


def page_left(driver, element):
    # Selenium 2's Firefox waited for the page a click sent; Chromium's driver may return before.
    WebDriverWait(driver, 15).until(EC.staleness_of(element))


def skip_or_fail(reason):
    # Without CI=true: skipped, saying why; in CI: an error.
    if os.environ.get('CI', '').lower() not in ('', '0', 'false', 'no'):
        raise RuntimeError(reason)
    raise unittest.SkipTest(reason)


class TestURLs(unittest.TestCase):
    def setUp(self):
        try:
            urlopen(URL + '/login', timeout=5).close()
        except (URLError, OSError):
            skip_or_fail('nothing answers at {}: start `python run_test_server.py` first'.format(URL))
        if not (os.path.isfile(CHROMIUM) and os.path.isfile(CHROMEDRIVER)):
            skip_or_fail('no {} or {}: install Chromium and its chromedriver'.format(
                CHROMIUM, CHROMEDRIVER))
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        # No window; the size of a desktop browser's (headless Chromium's own is 800x600).
        for argument in ('--headless=new', '--window-size=1280,1024', '--no-sandbox',
                         '--disable-gpu', '--disable-dev-shm-usage'):
            options.add_argument(argument)
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)

    def tearDown(self):
        self.driver.close()

    def test_add_new_post(self):
        """ Tests if the new post page saves a Post object to the
            database

            1. Log the user in
            2. Go to the new_post page
            3. Fill out the fields and submit the form
            4. Go to the blog home page and verify that the post is
               on the page
        """
        # login
        self.driver.get(URL + "/login")

        username_field = self.driver.find_element(By.NAME, "username")
        username_field.send_keys("test")

        password_field = self.driver.find_element(By.NAME, "password")
        password_field.send_keys("test")

        login_button = self.driver.find_element(By.ID, "login_button")
        login_button.click()
        page_left(self.driver, login_button)

        # fill out the form
        self.driver.get(URL + "/blog/new")

        title_field = self.driver.find_element(By.NAME, "title")
        title_field.send_keys("Test Title")

        # find the editor in the iframe
        self.driver.switch_to.frame(
            self.driver.find_element(By.TAG_NAME, "iframe")
        )
        post_field = self.driver.find_element(
            By.CLASS_NAME, "cke_editable"
        )
        # Chromium's driver types into the focused element of the page (the title): click first.
        post_field.click()
        post_field.send_keys("Test content")
        self.driver.switch_to.parent_frame()

        post_button = self.driver.find_element(By.CLASS_NAME, "btn-primary")
        post_button.click()
        page_left(self.driver, post_button)

        # verify the post was created
        self.driver.get(URL + "/blog")
        self.assertIn("Test Title", self.driver.page_source)
        self.assertIn("Test content", self.driver.page_source)


if __name__ == "__main__":
    unittest.main()
