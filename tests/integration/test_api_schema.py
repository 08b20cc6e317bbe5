"""Schemathesis against the OpenAPI schema: generated requests to every operation, as a
trader and as a supervisor, never get a server error, and every answer is as documented
(status, content type and body)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from orders.models import Instrument
from routing.services.sessions import session_get_or_create

pytestmark = pytest.mark.django_db


# The schema as the product serves it, loaded once at collection (schemathesis's lazy
# fixture loader does not run on pytest 9); requests go through the WSGI app in-process.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture(autouse=True)
def market(demo):
    """Market data to read, and the test database kept open across WSGI requests (as
    Django's test client keeps it: the handler would close it after each request)."""
    session_get_or_create(instrument=Instrument.objects.get(symbol="AAPL"))
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _headers(username: str) -> dict[str, str]:
    from django.contrib.auth.models import User

    from orders.services.tokens import api_token_issue

    _, key = api_token_issue(user=User.objects.get(username=username), name="schemathesis", actor="test")
    return {"Authorization": f"Token {key}", "Host": "127.0.0.1"}


# No 5xx, and every answer as documented: its status listed, its body and content type those
# the schema gives for that status.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
FUZZ = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))


@schema.parametrize()
@FUZZ
def test_no_generated_request_gets_a_server_error_as_a_trader(case):
    case.call_and_validate(headers=_headers("trader1"), checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_no_generated_request_gets_a_server_error_as_a_supervisor(case):
    case.call_and_validate(headers=_headers("supervisor1"), checks=CHECKS)
