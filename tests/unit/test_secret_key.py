"""Chapter 3 on: no secret key is written in the code; development makes its own and keeps it."""
import os
import re
import stat

import pytest

pytestmark = pytest.mark.chapters(since=3)

# Keys these chapters once had in config.py: anyone could sign a session cookie with them.
PUBLISHED = {"dev-only-not-secret", "test-only-not-secret"}


@pytest.fixture
def no_key_in_environment(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("WEBAPP_ENV", raising=False)


def test_no_configuration_has_a_key_written_in_it(chapter, chapter_code, no_key_in_environment):
    """No configuration class holds a fixed SECRET_KEY: none, or a random one made when it is read."""
    from workbook import chapters

    def keys():
        chapters.forget_chapter_modules()
        module = __import__(chapter.config, fromlist=["Config"])
        return {name: getattr(value, "SECRET_KEY", None) for name, value in vars(module).items()
                if isinstance(value, type) and name.endswith("Config")}

    first, second = keys(), keys()
    assert first.keys() >= {"DevConfig", "ProdConfig"}
    for name, key in first.items():
        assert key is None or key != second[name], f"{name}.SECRET_KEY is the same on every import"
        assert key not in PUBLISHED
    # The chapter's own code: not a virtual environment or anything else hidden in its folder (a
    # checkout's README puts `.venv` there, and installed packages may well set a SECRET_KEY).
    own = [path for path in chapter_code.rglob("*.py")
           if not any(part.startswith(".") for part in path.relative_to(chapter_code).parts)]
    source = "\n".join(path.read_text() for path in own)
    assert not re.search(r"SECRET_KEY\s*=\s*['\"]", source)


def test_development_key_is_kept_in_the_instance_folder(make_app, tmp_path, no_key_in_environment):
    """With WEBAPP_ENV unset, the app's key is the random one kept in instance/secret_key, not a published
    one."""
    app = make_app(f"sqlite:///{tmp_path / 'dev.db'}", "DevConfig")
    kept = os.path.join(app.instance_path, "secret_key")
    with open(kept) as stored:
        assert app.config["SECRET_KEY"] == stored.read().strip()
    assert app.config["SECRET_KEY"] not in PUBLISHED and len(app.config["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    again = make_app(f"sqlite:///{tmp_path / 'dev.db'}", "DevConfig")
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_development_key_is_made_at_first_start_readable_by_its_owner_only(config_module, tmp_path):
    """The first start writes a random key (mode 0600, folder made if missing); later starts read it back."""
    path = tmp_path / "instance" / "secret_key"
    key = config_module.instance_secret_key(str(path))
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config_module.instance_secret_key(str(path)) == key
    other = config_module.instance_secret_key(str(tmp_path / "elsewhere" / "secret_key"))
    assert other != key
