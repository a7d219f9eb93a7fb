"""Schemathesis against the real app (tiny model, real engine and retriever): generated requests on every route,
none answered 5xx, every response matching the OpenAPI document the app publishes. Bounded (a few hundred
cases, seconds with the tiny model) so it is part of `make test`. Hypothesis drives each operation directly:
schemathesis's pytest plugin does not load under this pytest."""

from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

EXAMPLES = 40  # per operation


def test_no_server_error_and_every_response_matches_the_openapi_document(make_client):
    client = make_client("serve.max_tokens_limit=16")  # the services start in the client's lifespan; answers stay short
    schema = from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {"POST /ask", "POST /v1/chat/completions", "POST /v1/completions"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

        check()
