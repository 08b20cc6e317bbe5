"""API tokens (issue, use, rotate, revoke; only hashes kept; use audited) and the caller's accounts."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from orders.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_trader_issues_a_token_and_an_oms_trades_with_it(trader1):
    # given a token issued from trader1's session
    issued = trader1.post("/api/v1/tokens/", {"name": "OMS1"}, format="json")
    assert issued.status_code == 201
    key = issued.json()["key"]

    # when a client uses it
    oms = with_token(key)
    accounts = oms.get("/api/v1/accounts/")
    order = oms.post(
        "/api/v1/orders/",
        {"client_order_id": "TOK-1", "account": "T1-GROWTH", "instrument": "AAPL", "side": "BUY", "quantity": 100},
        format="json",
    )

    # then it acts as trader1, and only the key's hash is stored
    assert accounts.json() == [
        {"code": "T1-GROWTH", "name": "Growth fund", "owner": "trader1"},
        {"code": "T1-INCOME", "name": "Income fund", "owner": "trader1"},
    ]
    assert order.status_code == 201
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(list(ApiToken.objects.values()))
    assert token.prefix == key[:8]
    assert token.last_used_at is not None and token.last_used_from == "127.0.0.1"
    listed = trader1.get("/api/v1/tokens/").json()
    assert [(t["name"], t["prefix"], "key" in t) for t in listed] == [("OMS1", key[:8], False)]


def test_use_is_audited_at_most_once_a_minute_per_address(trader1):
    key = trader1.post("/api/v1/tokens/", {"name": "OMS1"}, format="json").json()["key"]
    oms = with_token(key)

    for _ in range(5):
        assert oms.get("/api/v1/accounts/").status_code == 200
    oms.get("/api/v1/accounts/", REMOTE_ADDR="10.0.0.9")

    uses = AuditEvent.objects.filter(kind="token.used").values_list("detail", flat=True)
    assert [(u["address"], u["path"]) for u in uses] == [
        ("127.0.0.1", "/api/v1/accounts/"),
        ("10.0.0.9", "/api/v1/accounts/"),
    ]


def test_rotation_gives_a_new_key_and_the_old_one_stops_at_once(trader1):
    issued = trader1.post("/api/v1/tokens/", {"name": "OMS1"}, format="json").json()

    rotated = with_token(issued["key"]).post(f"/api/v1/tokens/{issued['id']}/rotate/")

    assert rotated.status_code == 201
    assert rotated.json()["name"] == "OMS1"
    assert with_token(issued["key"]).get("/api/v1/accounts/").status_code == 401
    assert with_token(rotated.json()["key"]).get("/api/v1/accounts/").status_code == 200
    again = trader1.post(f"/api/v1/tokens/{issued['id']}/rotate/")
    assert (again.status_code, again.json()) == (409, {"detail": "a revoked token cannot be rotated; issue a new one"})
    assert list(
        AuditEvent.objects.filter(kind__startswith="token.").exclude(kind="token.used").values_list("kind", flat=True)
    ) == [
        "token.issued",
        "token.rotated",
    ]


def test_a_revoked_token_authenticates_nothing_and_another_users_token_is_a_404(trader1, trader2):
    issued = trader1.post("/api/v1/tokens/", {"name": "OMS1"}, format="json").json()

    assert trader2.delete(f"/api/v1/tokens/{issued['id']}/").status_code == 404
    revoked = trader1.delete(f"/api/v1/tokens/{issued['id']}/")

    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    refused = with_token(issued["key"]).get("/api/v1/orders/")
    assert (refused.status_code, refused.json()) == (401, {"detail": "Unknown or revoked token."})
    assert with_token("not-a-token").get("/api/v1/orders/").status_code == 401


def test_supervisors_and_analysts_list_every_account(supervisor, analyst):
    codes = ["T1-GROWTH", "T1-INCOME", "T2-MACRO"]

    assert [a["code"] for a in supervisor.get("/api/v1/accounts/").json()] == codes
    assert [a["code"] for a in analyst.get("/api/v1/accounts/").json()] == codes


def test_the_command_issues_lists_rotates_and_revokes(users):
    def run(*args) -> str:
        out = StringIO()
        call_command("api_token", *args, stdout=out)
        return out.getvalue()

    issued = run("issue", "trader2", "--name", "OMS2")
    key = issued.split(": ")[1].split()[0]
    assert with_token(key).get("/api/v1/accounts/").json()[0]["code"] == "T2-MACRO"
    token_id = ApiToken.objects.get().pk
    assert "OMS2" in run("list", "trader2") and "live, last used" in run("list")

    rotated = run("rotate", str(token_id))
    new_key = rotated.rsplit(": ", 1)[1].strip()
    run("revoke", str(ApiToken.objects.get(revoked_at=None).pk))

    assert with_token(key).get("/api/v1/accounts/").status_code == 401
    assert with_token(new_key).get("/api/v1/accounts/").status_code == 401
    assert list(AuditEvent.objects.filter(actor="command:api_token").values_list("kind", flat=True)) == [
        "token.issued",
        "token.rotated",
        "token.revoked",
    ]
