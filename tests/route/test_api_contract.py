"""Chapter 8's API keeps the contract it publishes: schemathesis fuzzes every operation of
/api/swagger.json in-process and checks each answer against the description."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

pytestmark = pytest.mark.chapters(since=8)

# Enough examples to reach every documented answer of each operation while the chapter stays fast.
EXAMPLES = 40
PASSWORD = "long enough"


@pytest.fixture
def schema(app, db, make):
    """The API's own description, read through the app (no server), with a blog to work on."""
    make.user("fuzzer", "poster", "admin", password=PASSWORD)
    make.posts(3)
    return schemathesis.openapi.from_wsgi("/api/swagger.json", app)


def operations(schema):
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_answers_only_what_it_documents(schema, client):
    """Fuzzed with a valid token, every API operation answers a documented status code and body,
    and never a server error."""
    token = client.post("/api/auth", json={"username": "fuzzer", "password": PASSWORD}).get_json()["token"]
    tried = []
    for operation in operations(schema):

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case):
            # The token goes in as the case's own header, so that schemathesis's check that the API
            # refuses a request without it (or with a wrong one) can take it out again.
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            response = case.call()
            # Every other check of schemathesis runs (no 5xx, documented status codes, content
            # types and response schemas); its "positive data is accepted" would need every
            # constraint in the description, while a 400 for a refused value is documented.
            case.validate_response(response, excluded_checks=[positive_data_acceptance])

        fuzz()
        tried.append(f"{operation.method.upper()} {operation.path}")
    assert sorted(tried) == ["DELETE /post/{post_id}", "GET /post", "GET /post/{post_id}",
                             "POST /auth", "POST /post", "PUT /post/{post_id}"]
