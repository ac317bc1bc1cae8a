"""Schemathesis over the OpenAPI document: no generated request makes the API fail (5xx).

Each operation of the schema gets its own hypothesis run, through the ASGI app, as the practice's
billing manager (so requests reach the services, not just the 401 wall).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

EXAMPLES_PER_OPERATION = 12


def test_no_generated_request_makes_a_server_error(app, practice):
    headers = {"Authorization": practice.clients["manager"].headers["Authorization"]}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def no_server_error(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])

        no_server_error()
