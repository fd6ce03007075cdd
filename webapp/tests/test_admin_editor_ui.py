"""A user interface test in the book's style (test_ui.py holds the book's own): Selenium drives
headless Chromium against the app served by a thread of this process (no run_test_server.py needed).
An admin logs in, writes a post in chapter 10's admin editor (CKEditor) and sees it on the blog.

Chromium and its chromedriver: /usr/bin/chromium and /usr/bin/chromedriver (Debian's `apt-get install
chromium chromium-driver`), or the pair WORKBOOK_CHROMIUM and WORKBOOK_CHROMEDRIVER name. Without them
the test is skipped, saying why; with CI=true it fails instead.
"""
import os
import threading
import unittest

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from werkzeug.serving import make_server

from webapp import create_app
from webapp.models import Role, User, add_roles, db

CHROMIUM = os.environ.get('WORKBOOK_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('WORKBOOK_CHROMEDRIVER', '/usr/bin/chromedriver')
PASSWORD = 'correct horse battery'


def in_ci():
    return os.environ.get('CI', '').lower() not in ('', '0', 'false', 'no')


def headless_chromium():
    """Headless Chromium, or SkipTest saying what is missing (an error under CI=true)."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.path.isfile(path)]
    if missing:
        reason = 'no {}: install Chromium and its chromedriver (or set WORKBOOK_CHROMIUM and ' \
                 'WORKBOOK_CHROMEDRIVER)'.format(' nor '.join(missing))
        if in_ci():
            raise RuntimeError(reason)
        raise unittest.SkipTest(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # No window, and no calls out of this machine (updates, sync, background requests).
    for argument in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                     '--no-first-run', '--disable-background-networking',
                     '--disable-component-update', '--disable-sync', '--window-size=1280,900'):
        options.add_argument(argument)
    # The driver's path is given: Selenium uses it and downloads nothing (no Selenium Manager).
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


class TestUI(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.driver = headless_chromium()
        cls.app = create_app('webapp.config.TestConfig')
        with cls.app.app_context():
            db.create_all()
            add_roles()  # what `flask db upgrade` adds; create_all makes the tables only
            admin = User('admin')
            admin.set_password(PASSWORD)
            admin.roles += db.session.scalars(select(Role).where(Role.name.in_(['admin', 'poster'])))
            db.session.add(admin)
            db.session.commit()
        # The app on a real server, in a thread of this process, on a free port.
        cls.server = make_server('127.0.0.1', 0, cls.app, threaded=True)
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.url = 'http://127.0.0.1:{}'.format(cls.server.server_port)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.server.shutdown()
        cls.server.server_close()
        cls.thread.join()
        with cls.app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()

    def test_add_new_post(self):
        """An admin logs in, writes a post in the admin's editor and sees it on the blog."""
        driver, wait = self.driver, WebDriverWait(self.driver, 15)
        driver.get(self.url + '/login')
        driver.find_element(By.ID, 'username').send_keys('admin')
        driver.find_element(By.ID, 'password').send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, 'main form button[type=submit]').click()
        wait.until(EC.presence_of_element_located((By.ID, 'admin-link')))

        driver.get(self.url + '/admin/post/new/')
        # CKEditor draws its editing area in a frame once it has loaded.
        wait.until(lambda d: d.execute_script(
            "return window.CKEDITOR && CKEDITOR.instances.text"
            " && CKEDITOR.instances.text.status === 'ready'"))
        driver.find_element(By.ID, 'title').send_keys('Test Title')
        driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, 'iframe.cke_wysiwyg_frame'))
        body = driver.find_element(By.TAG_NAME, 'body')
        body.click()
        body.send_keys('Test content')
        driver.switch_to.default_content()
        driver.find_element(By.CSS_SELECTOR, 'input[type=submit].btn-primary').click()
        wait.until(EC.url_to_be(self.url + '/admin/post/'))

        driver.get(self.url + '/blog/')
        driver.find_element(By.LINK_TEXT, 'Test Title').click()
        text = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, '.post-text')))
        self.assertIn('Test content', text.text)


if __name__ == '__main__':
    unittest.main()
