"""More route tests in the book's style (test_urls.py holds the book's own): the login page, a wrong
password, logging out by the navigation bar's POST, the admin, the post editor and the API, through
Flask's test client, on the book's TestConfig (a temporary SQLite file, CSRF off)."""
import unittest

from sqlalchemy import select

from webapp import create_app
from webapp.models import Role, User, add_roles, db

PASSWORD = 'correct horse battery'


class TestMoreURLs(unittest.TestCase):
    def setUp(self):
        # No app context kept pushed (see the README): each step opens its own.
        self.app = create_app('webapp.config.TestConfig')
        self.client = self.app.test_client()
        with self.app.app_context():
            db.create_all()
            add_roles()  # what `flask db upgrade` adds; create_all makes the tables only

    def tearDown(self):
        with self.app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()

    def add_user(self, username, *roles):
        """A user with PASSWORD and these roles (every user also has the default role)."""
        with self.app.app_context():
            user = User(username)
            user.set_password(PASSWORD)
            for name in roles:
                user.roles.append(db.session.scalars(select(Role).filter_by(name=name)).one())
            db.session.add(user)
            db.session.commit()
            return user.id

    def login(self, username, password=PASSWORD):
        # No CSRF token to send: TestConfig switches the protection off, as the book's does.
        return self.client.post('/login', data={'username': username, 'password': password},
                                follow_redirects=True)

    def test_login_page(self):
        """The login page answers with its form."""
        result = self.client.get('/login')
        self.assertEqual(result.status_code, 200)
        self.assertIn('name="password"', result.get_data(as_text=True))

    def test_failed_login(self):
        """A wrong password is refused, and the page says so."""
        self.add_user('test')
        result = self.login('test', 'wrong password')
        self.assertEqual(result.status_code, 200)
        self.assertIn('Invalid username or password', result.get_data(as_text=True))
        self.assertNotIn('You have been logged in', result.get_data(as_text=True))

    def test_logout_by_the_button(self):
        """Logging out by the navigation bar's button (a POST) signs the user out."""
        self.add_user('test')
        self.login('test')
        result = self.client.post('/logout', follow_redirects=True)
        self.assertIn('You have been logged out', result.get_data(as_text=True))
        self.assertNotIn('id="signed-in"', self.client.get('/blog/').get_data(as_text=True))

    def test_admin_needs_an_admin(self):
        """The admin sends an anonymous visitor to the login page (the book: 403) and answers 403
        to a user without the admin role."""
        result = self.client.get('/admin/')
        self.assertEqual(result.status_code, 302)
        self.assertEqual(result.headers['Location'], '/login?next=%2Fadmin%2F')
        self.add_user('test')
        self.login('test')
        self.assertEqual(self.client.get('/admin/').status_code, 403)

    def test_edit_needs_the_author_or_an_admin(self):
        """Editing a post sends an anonymous visitor to the login page (the book: 403) and answers
        403 to a poster who did not write it."""
        self.add_user('author', 'poster')
        self.login('author')
        self.client.post('/blog/new', data={'title': 'Mine', 'text': 'Text'})
        self.client.post('/logout')
        result = self.client.get('/blog/edit/1')
        self.assertEqual(result.status_code, 302)
        self.assertEqual(result.headers['Location'], '/login?next=%2Fblog%2Fedit%2F1')
        self.add_user('other', 'poster')
        self.login('other')
        self.assertEqual(self.client.get('/blog/edit/1').status_code, 403)

    def test_api_auth(self):
        """The API trades a username and password for a token; a wrong password gets 401."""
        self.add_user('test')
        result = self.client.post('/api/auth', json={'username': 'test', 'password': PASSWORD})
        self.assertEqual(result.status_code, 200)
        self.assertTrue(result.get_json()['token'])
        result = self.client.post('/api/auth', json={'username': 'test', 'password': 'wrong'})
        self.assertEqual(result.status_code, 401)

    def test_api_refuses_a_bad_token(self):
        """A new post with a token the app did not make gets 401."""
        result = self.client.post('/api/post', json={'title': 'T', 'text': 'x', 'token': 'forged'})
        self.assertEqual(result.status_code, 401)

    def test_api_new_post(self):
        """A poster's token writes a new post through the API: 201, and the blog shows it."""
        self.add_user('test', 'poster')
        token = self.client.post(
            '/api/auth', json={'username': 'test', 'password': PASSWORD}).get_json()['token']
        result = self.client.post('/api/post', json={
            'title': 'From the API', 'text': 'Hello', 'tags': ['flask'], 'token': token})
        self.assertEqual(result.status_code, 201)
        self.assertIn('From the API', self.client.get('/blog/').get_data(as_text=True))


if __name__ == '__main__':
    unittest.main()
