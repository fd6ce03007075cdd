"""Who the visitor is: Flask-Login's user, from the session or the remember-me cookie, and what
Flask-Principal lets them do (their id and their roles). Both are connected in create_app."""
import hmac

from flask_login import current_user
from flask_principal import RoleNeed, UserNeed

from webapp.models import User, db


def load_user(userid):
    """Flask-Login's user_loader: the book's User.query.get(userid).

    The id comes back from the session or the remember-me cookie as User.get_id() made it,
    "<id>:<session token>": a cookie from before the user's last logout or password change names an
    old token and signs nobody in."""
    user_id, _, token = userid.partition(':')
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not hmac.compare_digest(token.encode(), user.session_token.encode()):
        return None
    return user


def on_identity_loaded(sender, identity):
    """Principal's identity_loaded: the book's needs for the signed-in user."""
    # Set the identity user object
    identity.user = current_user

    # Add the UserNeed to the identity
    if hasattr(current_user, 'id'):
        identity.provides.add(UserNeed(current_user.id))

    # Add each role to the identity
    if hasattr(current_user, 'roles'):
        for role in current_user.roles:
            identity.provides.add(RoleNeed(role.name))
