"""The book's model tests ("Unit testing the application"): users, roles, posts, comments and tags,
on the book's TestConfig and its temporary SQLite file."""
import unittest

from sqlalchemy import select

from webapp import create_app
from webapp.models import Comment, Post, Role, Tag, User, add_roles, db


class TestModels(unittest.TestCase):
    def setUp(self):
        self.app = create_app('webapp.config.TestConfig')
        # The models need an app context (Flask-SQLAlchemy 3): kept open for each whole test.
        self.context = self.app.app_context()
        self.context.push()
        db.create_all()

    def tearDown(self):
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
        self.context.pop()

    def test_the_database_is_a_temporary_file(self):
        """TestConfig's database is a SQLite file in the temporary folder, as the book's."""
        import tempfile

        url = self.app.config['SQLALCHEMY_DATABASE_URI']
        self.assertTrue(url.startswith('sqlite:///' + tempfile.gettempdir()), url)

    def test_a_new_user_has_the_default_role(self):
        """Every new user gets the default role (made with the first user if there is none yet)."""
        user = User('ann')
        db.session.add(user)
        db.session.commit()
        self.assertEqual([role.name for role in user.roles], ['default'])
        self.assertTrue(user.has_role('default'))
        self.assertFalse(user.has_role('admin'))

    def test_the_password_is_kept_hashed(self):
        """set_password keeps a bcrypt hash, never the password; check_password tells right from wrong."""
        user = User('ann')
        user.set_password('correct horse battery')
        self.assertNotIn('correct horse battery', user.password)
        self.assertTrue(user.check_password('correct horse battery'))
        self.assertFalse(user.check_password('wrong'))

    def test_roles(self):
        """db.create_all() makes no rows; add_roles() adds the three roles (as the migration does);
        a user can be given one."""
        self.assertEqual(db.session.scalars(select(Role.name)).all(), [])
        add_roles()
        names = db.session.scalars(select(Role.name).order_by(Role.name)).all()
        self.assertEqual(names, ['admin', 'default', 'poster'])
        user = User('ann')
        user.roles.append(db.session.scalars(select(Role).filter_by(name='poster')).one())
        db.session.add(user)
        db.session.commit()
        self.assertTrue(user.has_role('poster'))

    def test_a_post_with_its_author_comments_and_tags(self):
        """A post keeps its author, its tags and its comments; a tag lists its posts."""
        user = User('ann')
        post = Post('A title')
        post.text = 'Some text'
        post.user = user
        post.tags = [Tag('flask')]
        comment = Comment(name='Bo', text='Nice', post=post)
        db.session.add_all([user, post, comment])
        db.session.commit()
        self.assertEqual(post.user.username, 'ann')
        self.assertEqual(user.posts.all(), [post])
        self.assertEqual(post.comments.all(), [comment])
        tag = db.session.scalars(select(Tag).filter_by(title='flask')).one()
        self.assertEqual(tag.posts.all(), [post])

    def test_a_posts_html_is_cleaned(self):
        """A post's HTML keeps its formatting and loses its scripts."""
        post = Post('T')
        post.text = '<p><strong>bold</strong><script>alert(1)</script></p>'
        self.assertIn('<strong>bold</strong>', post.text)
        self.assertNotIn('script', post.text)

    def test_api_tokens_name_their_user(self):
        """A user's API token names that user; a forged one names nobody."""
        user = User('ann')
        db.session.add(user)
        db.session.commit()
        self.assertEqual(User.verify_auth_token(user.generate_auth_token()), user)
        self.assertIsNone(User.verify_auth_token('forged'))


if __name__ == '__main__':
    unittest.main()
