"""Pre-trade risk checks through the channels: per-account limits set by supervisors,
rejections kept with their reason, audited and shown to the trader."""

from decimal import Decimal

import pytest

from orders.models import Account, AuditEvent, Order, OrderStatus

pytestmark = pytest.mark.django_db

LIMITS = {
    "max_order_quantity": 5_000,
    "max_order_notional": "2000000.00",
    "collar_pct": "5",
    "daily_gross_notional": "100000.00",
    "max_orders_per_minute": 50,
    "restricted_instruments": ["msft"],
}


def order(client_order_id, **changes):
    return {
        "client_order_id": client_order_id,
        "account": "T1-GROWTH",
        "instrument": "AAPL",
        "side": "BUY",
        "quantity": 100,
        "limit_price": "190.00",
        **changes,
    }


def test_a_supervisor_sets_an_accounts_limits_and_its_owner_reads_them(supervisor, trader1, trader2):
    response = supervisor.put("/api/v1/accounts/T1-GROWTH/risk-limits/", LIMITS, format="json")

    assert response.status_code == 200
    body = trader1.get("/api/v1/accounts/T1-GROWTH/risk-limits/").json()
    assert body == {
        "account": "T1-GROWTH",
        "source": "account",
        "max_order_quantity": 5_000,
        "max_order_notional": "2000000.00",
        "collar_pct": "5.000",
        "daily_gross_notional": "100000.00",
        "max_orders_per_minute": 50,
        "restricted_instruments": ["MSFT"],
        "used_today": {"gross_notional": "0.00", "orders_last_minute": 0},
    }
    change = AuditEvent.objects.get(kind="risk_limits.changed")
    assert change.actor == "user:supervisor1"
    assert change.detail["before"] == {"account": "T1-GROWTH", "source": "desk default"}
    assert change.detail["after"]["max_order_quantity"] == 5_000
    # nobody else reads them, and only a supervisor changes them
    assert trader2.get("/api/v1/accounts/T1-GROWTH/risk-limits/").status_code == 404
    assert trader1.put("/api/v1/accounts/T1-GROWTH/risk-limits/", LIMITS, format="json").status_code == 403


def test_bad_limits_get_field_errors(supervisor):
    response = supervisor.put(
        "/api/v1/accounts/T1-GROWTH/risk-limits/",
        {**LIMITS, "max_order_quantity": 0, "collar_pct": "abc", "restricted_instruments": ["NOPE"]},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"max_order_quantity", "collar_pct", "restricted_instruments"}


def test_every_check_rejects_through_the_api_with_its_reason_and_audit(supervisor, trader1):
    supervisor.put("/api/v1/accounts/T1-GROWTH/risk-limits/", LIMITS, format="json")

    cases = {
        "Q": (order("Q", quantity=6_000), "max_order_quantity"),
        "C": (order("C", limit_price="200.00"), "price_collar"),
        "R": (order("R", instrument="MSFT", limit_price=None), "restricted_instrument"),
        "OK": (order("OK", quantity=500), None),  # 95,000 of the 100,000 credit
        "D": (order("D", quantity=100), "daily_gross_notional"),  # 19,000 more would pass it
    }
    for client_order_id, (payload, check) in cases.items():
        response = trader1.post("/api/v1/orders/", payload, format="json")
        assert response.status_code == 201
        body = response.json()
        stored = Order.objects.get(client_order_id=client_order_id)
        event = AuditEvent.objects.get(order=stored)
        if check is None:
            assert body["status"] == stored.status == OrderStatus.PENDING_AGGREGATION
            assert stored.risk_notional == Decimal("95000")
            assert event.kind == "order.accepted"
        else:
            assert body["status"] == stored.status == OrderStatus.REJECTED
            assert body["reject_reason"] == stored.reject_reason != ""
            assert (event.kind, event.detail["check"], event.detail["reason"]) == (
                "order.rejected",
                check,
                stored.reject_reason,
            )
    usage = trader1.get("/api/v1/accounts/T1-GROWTH/risk-limits/").json()["used_today"]
    assert usage == {"gross_notional": "95000.00", "orders_last_minute": 1}


def test_a_bulk_batch_counts_its_own_earlier_orders_against_the_limits(supervisor, trader1):
    supervisor.put(
        "/api/v1/accounts/T1-GROWTH/risk-limits/",
        {**LIMITS, "daily_gross_notional": "60000.00", "max_orders_per_minute": 4},
        format="json",
    )
    orders = [order(f"B-{i}") for i in range(6)]  # 19,000 each

    response = trader1.post("/api/v1/orders/bulk/", {"orders": orders, "mode": "ACCEPT_VALID"}, format="json")

    assert response.status_code == 201
    statuses = list(Order.objects.order_by("id").values_list("client_order_id", "status", "reject_reason"))
    assert [s for _, s, _ in statuses] == ["PENDING_AGGREGATION"] * 3 + ["REJECTED"] * 3
    assert statuses[3][2].startswith("notional 19,000.00 exceeds what is left of the account's daily limit")
    assert Account.objects.get(code="T1-GROWTH").risk_limits.max_orders_per_minute == 4


def test_the_order_rate_throttle_counts_the_last_minute(supervisor, trader1):
    supervisor.put(
        "/api/v1/accounts/T1-GROWTH/risk-limits/",
        {**LIMITS, "daily_gross_notional": None, "max_orders_per_minute": 2},
        format="json",
    )
    for i in range(3):
        trader1.post("/api/v1/orders/", order(f"T-{i}"), format="json")

    third = Order.objects.get(client_order_id="T-2")
    assert (third.status, third.reject_reason) == (
        OrderStatus.REJECTED,
        "the account sent 2 orders in the last minute: try again shortly",
    )
    Order.objects.filter(client_order_id__in=["T-0", "T-1"]).update(
        received_at=third.received_at.replace(year=third.received_at.year - 1)
    )
    trader1.post("/api/v1/orders/", order("T-3"), format="json")
    assert Order.objects.get(client_order_id="T-3").status == OrderStatus.PENDING_AGGREGATION


def test_accounts_without_their_own_limits_get_the_desk_defaults(trader1, settings):
    settings.RISK_DEFAULTS = {**settings.RISK_DEFAULTS, "max_order_quantity": 1_000}

    trader1.post("/api/v1/orders/", order("BIG", quantity=1_100), format="json")

    assert Order.objects.get(client_order_id="BIG").reject_reason == (
        "quantity 1,100 exceeds the account's maximum of 1,000"
    )
    assert trader1.get("/api/v1/accounts/T1-GROWTH/risk-limits/").json()["source"] == "desk default"
