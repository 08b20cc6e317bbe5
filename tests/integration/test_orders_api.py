import pytest

from orders.models import AuditEvent, Order, OrderStatus, ParentOrder, Source

pytestmark = pytest.mark.django_db

ORDER = {
    "client_order_id": "OMS-1",
    "account": "T1-GROWTH",
    "instrument": "AAPL",
    "side": "BUY",
    "quantity": 500,
    "limit_price": "190.25",
    "strategy": "TWAP",
}


def test_post_order_creates_it_pending_aggregation_with_audit(trader1):
    response = trader1.post("/api/v1/orders/", ORDER, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "PENDING_AGGREGATION"
    assert body["limit_price"] == "190.250000"
    assert body["quantity"] == 500
    assert body["allocations"] == []
    events = list(AuditEvent.objects.filter(order_id=body["id"]).values_list("kind", "actor", "detail"))
    assert events == [
        ("order.accepted", "user:trader1", {"source": "API", "transition": ["NEW", "PENDING_AGGREGATION"]})
    ]


def test_repeat_client_order_id_returns_the_original(trader1):
    first = trader1.post("/api/v1/orders/", ORDER, format="json").json()
    again = trader1.post("/api/v1/orders/", {**ORDER, "limit_price": "190.250"}, format="json")  # a retry
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert Order.objects.count() == 1


def test_a_client_order_id_reused_for_different_terms_is_refused(trader1):
    first = trader1.post("/api/v1/orders/", ORDER, format="json").json()

    again = trader1.post("/api/v1/orders/", {**ORDER, "quantity": 900}, format="json")

    assert again.status_code == 400
    assert again.json() == {
        "client_order_id": [
            f"client_order_id OMS-1 is already order {first['id']} (BUY 500 AAPL at 190.25); "
            "use a new id for a different order"
        ]
    }
    assert list(Order.objects.values_list("quantity", flat=True)) == [500]


def test_bulk_reports_a_reused_client_order_id_by_index_and_all_or_nothing_refuses(trader1):
    trader1.post("/api/v1/orders/", ORDER, format="json")
    batch = [{**ORDER, "client_order_id": "OMS-2"}, {**ORDER, "side": "SELL"}, ORDER]

    response = trader1.post("/api/v1/orders/bulk/", {"orders": batch, "mode": "ACCEPT_VALID"}, format="json")

    body = response.json()
    assert response.status_code == 201
    assert (body["created"], body["duplicates"], body["invalid"]) == (1, 1, 1)
    assert [(r["index"], r["status"]) for r in body["results"]] == [(0, "CREATED"), (1, "INVALID"), (2, "DUPLICATE")]
    assert "is already order" in body["results"][1]["errors"]["client_order_id"][0]

    refused = trader1.post(
        "/api/v1/orders/bulk/",
        {"orders": [{**ORDER, "client_order_id": "OMS-3"}, {**ORDER, "quantity": 100}], "mode": "ALL_OR_NOTHING"},
        format="json",
    )
    assert refused.status_code == 400
    assert not Order.objects.filter(client_order_id="OMS-3").exists()
    assert Order.objects.count() == 2


@pytest.mark.parametrize(
    "change,field",
    [
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"side": "HOLD"}, "side"),
        ({"limit_price": "190.255"}, "limit_price"),
        ({"instrument": "NOPE"}, "instrument"),
        ({"account": "T2-MACRO"}, "account"),
        ({"strategy": "MAGIC"}, "strategy"),
    ],
)
def test_bad_payload_gets_400_with_the_field(trader1, change, field):
    response = trader1.post("/api/v1/orders/", {**ORDER, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Order.objects.count() == 0


def test_strategy_follows_urgency_when_not_given(trader1):
    body = trader1.post("/api/v1/orders/", {**ORDER, "strategy": None, "urgency": "LOW"}, format="json").json()
    assert body["strategy"] == "VWAP"


def test_a_trader_never_sees_another_traders_orders(trader1, trader2, supervisor):
    mine = trader1.post("/api/v1/orders/", ORDER, format="json").json()
    assert trader2.get("/api/v1/orders/").json() == []
    assert trader2.get(f"/api/v1/orders/{mine['id']}/").status_code == 404
    assert [o["id"] for o in supervisor.get("/api/v1/orders/").json()] == [mine["id"]]


def test_only_supervisors_run_aggregation_and_orders_are_grouped(trader1, supervisor):
    for i, (quantity, limit) in enumerate([(100, "190.25"), (300, "190.25"), (200, None)]):
        trader1.post(
            "/api/v1/orders/",
            {**ORDER, "client_order_id": f"C{i}", "quantity": quantity, "limit_price": limit},
            format="json",
        )
    assert trader1.post("/api/v1/aggregate/").status_code == 403
    response = supervisor.post("/api/v1/aggregate/")
    assert response.status_code == 201
    parents = sorted((p["quantity"], p["limit_price"]) for p in response.json())
    # one parent per limit price, so no order ever trades beyond its own limit
    assert parents == [(200, None), (400, "190.250000")]
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.WORKING}
    assert ParentOrder.objects.count() == 2


def test_anonymous_is_refused(client):
    assert client.get("/api/v1/orders/").status_code in (401, 403)


def test_openapi_schema_and_docs_are_served(trader1):
    assert trader1.get("/api/schema/").status_code == 200
    docs = trader1.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


def test_parent_endpoints_follow_who_may_see_the_parent(trader1, trader2, supervisor):
    trader1.post("/api/v1/orders/", ORDER, format="json")
    (parent,) = supervisor.post("/api/v1/aggregate/").json()
    for suffix in ("", "children/", "fills/", "audit/"):
        path = f"/api/v1/parents/{parent['id']}/{suffix}"
        assert trader1.get(path).status_code == 200, path
        assert supervisor.get(path).status_code == 200, path
        assert trader2.get(path).status_code == 404, path
    audit = supervisor.get(f"/api/v1/parents/{parent['id']}/audit/").json()
    assert [e["kind"] for e in audit] == ["parent.created", "order.aggregated"]


def test_supervisor_controls_over_the_api(demo, client):
    from django.contrib.auth.models import User

    from orders.models import Source
    from orders.services.intake import order_create
    from routing.services.aggregation import aggregation_window_run

    order_create(
        submitted_by=User.objects.get(username="trader1"),
        account="T1-GROWTH",
        instrument="XOM",
        side="BUY",
        quantity=500,
        client_order_id="C-1",
        source=Source.API,
    )
    (parent,) = aggregation_window_run(actor="test")
    client.force_login(User.objects.get(username="trader1"))
    assert client.post(f"/api/v1/parents/{parent.pk}/pause/").status_code == 403  # traders cannot
    assert client.post("/api/v1/kill-switch/", {"engaged": True}).status_code == 403
    assert client.get("/api/v1/kill-switch/").json()["engaged"] is False
    client.force_login(User.objects.get(username="supervisor1"))
    response = client.post(f"/api/v1/parents/{parent.pk}/pause/")
    assert response.status_code == 200 and response.json()["status"] == "PAUSED"
    assert client.post(f"/api/v1/parents/{parent.pk}/pause/").json() == {"detail": "a PAUSED parent cannot be paused"}
    assert client.post(f"/api/v1/parents/{parent.pk}/resume/").json()["status"] == "NEW"
    assert client.post(f"/api/v1/parents/{parent.pk}/cancel/").json()["status"] == "CANCELLED"  # never started
    assert client.post("/api/v1/parents/999999/cancel/").status_code == 404
    switch = client.post("/api/v1/kill-switch/", {"engaged": True, "reason": "drill"}, content_type="application/json")
    assert switch.json()["engaged"] is True and switch.json()["changed_by"] == "user:supervisor1"
    assert client.post("/api/v1/kill-switch/", {"engaged": "maybe"}, content_type="application/json").status_code == 400


def test_one_order_reads_its_instruments_and_accounts_once(trader1, django_assert_max_num_queries):
    # given: a first order, so the session, user and roles are cached as in a busy client
    first = {"client_order_id": "Q-0", "account": "T1-GROWTH", "instrument": "AAPL", "side": "BUY", "quantity": 100}
    assert trader1.post("/api/v1/orders/", first, format="json").status_code == 201

    # when / then: the next order costs at most 25 queries (29 when every layer read the
    # instruments and accounts again): the venues an order may exclude, its execution
    # report, its amendments in the answer and the account's running daily total are one
    # query each
    with django_assert_max_num_queries(25):
        response = trader1.post("/api/v1/orders/", {**first, "client_order_id": "Q-1"}, format="json")
    assert response.status_code == 201


def test_supervisors_pause_resume_and_cancel_many_parents_at_once(demo, client):
    # given three parents on three instruments, one of them already paused
    from django.contrib.auth.models import User

    from orders.services.intake import order_create
    from routing.services.aggregation import aggregation_window_run

    for n, symbol in enumerate(("AAPL", "MSFT", "XOM")):
        order_create(
            submitted_by=User.objects.get(username="trader1"),
            account="T1-GROWTH",
            instrument=symbol,
            side="BUY",
            quantity=500,
            client_order_id=f"BULK-{n}",
            source=Source.API,
        )
    a, b, c = sorted(aggregation_window_run(actor="test"), key=lambda p: p.pk)
    client.force_login(User.objects.get(username="supervisor1"))
    client.post(f"/api/v1/parents/{c.pk}/pause/")

    # when a supervisor pauses a and c together, then c is refused with its reason and a stands
    paused = client.post(
        "/api/v1/parents/bulk/", {"action": "pause", "parents": [c.pk, a.pk, 999999]}, content_type="application/json"
    ).json()
    assert [p["id"] for p in paused["applied"]] == [a.pk]
    assert paused["applied"][0]["status"] == "PAUSED"
    assert paused["refused"] == [
        {"parent": c.pk, "detail": "a PAUSED parent cannot be paused"},
        {"parent": 999999, "detail": "no such parent"},
    ]

    # and "resume all" resumes every paused parent, each audited as its own action
    resumed = client.post("/api/v1/parents/bulk/", {"action": "resume", "all": True}, content_type="application/json")
    assert sorted(p["id"] for p in resumed.json()["applied"]) == [a.pk, c.pk] and resumed.json()["refused"] == []
    assert AuditEvent.objects.filter(kind="parent.resumed", actor="user:supervisor1").count() == 2
    # then cancel all leaves nothing live
    cancelled = client.post("/api/v1/parents/bulk/", {"action": "cancel", "all": True}, content_type="application/json")
    assert sorted(p["id"] for p in cancelled.json()["applied"]) == [a.pk, b.pk, c.pk]
    assert {p["status"] for p in cancelled.json()["applied"]} == {"CANCELLED"}

    # a body naming both or neither, or another action, is a 400 with the field; a trader gets 403
    for body in (
        {"action": "pause"},
        {"action": "pause", "all": True, "parents": [a.pk]},
        {"action": "halt", "all": True},
    ):
        assert client.post("/api/v1/parents/bulk/", body, content_type="application/json").status_code == 400
    # and a form with more fields than Django takes is a JSON 400, not Django's HTML page
    crowded = client.post("/api/v1/parents/bulk/", {"action": "cancel", "parents": [str(a.pk)] * 1_200})
    assert crowded.status_code == 400 and crowded.json()["detail"].startswith("The request was refused")
    client.force_login(User.objects.get(username="trader1"))
    trader = client.post("/api/v1/parents/bulk/", {"action": "pause", "all": True}, content_type="application/json")
    assert trader.status_code == 403


def test_an_orders_detail_sums_its_allocations_by_venue_exactly(trader1):
    # given: an order its parent has executed on several venues
    from decimal import Decimal

    from orders.domain.values import quantize_price
    from orders.models import Allocation

    from .test_tca import executed_parent

    executed_parent()
    order = Order.objects.get(client_order_id="TCA-0")
    expected: dict[str, list] = {}
    for venue, quantity, price in Allocation.objects.filter(order=order).values_list("venue", "quantity", "price"):
        line = expected.setdefault(venue, [0, 0, Decimal(0)])
        line[0], line[1], line[2] = line[0] + quantity, line[1] + 1, line[2] + quantity * price

    # when: its detail is read
    venues = trader1.get(f"/api/v1/orders/{order.pk}/").json()["venues"]

    # then: one line per venue, most shares first, at the exact average, adding up to the order
    assert len(venues) >= 2
    assert [v["quantity"] for v in venues] == sorted((v["quantity"] for v in venues), reverse=True)
    assert {v["venue"]: (v["quantity"], v["fills"], v["average_price"]) for v in venues} == {
        venue: (q, n, f"{quantize_price(notional / q):.6f}") for venue, (q, n, notional) in expected.items()
    }
    assert sum(v["quantity"] for v in venues) == order.filled_quantity
