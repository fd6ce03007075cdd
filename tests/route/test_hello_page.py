"""Chapters 1–2 serve one page. From chapter 3 on, `/` is the blog."""
import pytest

pytestmark = pytest.mark.chapters(since=1, until=2)


def test_home_says_hello(client):
    """The home page says "Hello World!" in a heading."""
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.get_data(as_text=True) == "<h1>Hello World!</h1>"


def test_unknown_page_is_404(client):
    """A URL the app does not know answers 404."""
    assert client.get("/no-such-page").status_code == 404
