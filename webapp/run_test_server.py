import os
from urllib.parse import urlsplit

from webapp import create_app
from webapp.models import db, User, Role

app = create_app('webapp.config.TestConfig')

app.app_context().push()
db.create_all()

default = Role("default")
poster = Role("poster")
db.session.add(default)
db.session.add(poster)
db.session.commit()

test_user = User("test")
test_user.set_password("test")
test_user.roles.append(poster)
db.session.add(test_user)
db.session.commit()

# Where tests/test_ui.py looks for the server (http://localhost:5000, as the book's app.run()).
url = urlsplit(os.environ.get('TEST_SERVER_URL', 'http://localhost:5000'))
app.run(host=url.hostname, port=url.port)
