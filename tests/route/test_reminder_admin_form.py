"""Chapter 10 on: the admin's reminder form refuses what would make a reminder that is never sent."""
import re

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.chapters(since=10)


@pytest.mark.parametrize("debug", [False, True], ids=["production", "development"])
def test_an_empty_date_is_refused_next_to_the_field(app, client, db, models, auth, sent, debug):
    """A reminder with an empty date, made through the admin, is refused with a message beside the date field:
    no 500, no row, no task (in development too)."""
    app.debug = debug
    auth.user("root", "admin")
    auth.login("root")
    html = client.get("/admin/reminder/new/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/admin/reminder/new/", data={
        "csrf_token": token, "email": "ada@example.com", "text": "Hello", "date": ""})
    assert response.status_code == 200
    assert "A reminder needs a date and time." in response.get_data(as_text=True)
    assert db.session.scalars(select(models.Reminder)).all() == [] and sent == []
