"""Who gets what: every page, API endpoint and websocket stream, for anonymous, a trader,
another trader, a supervisor and an analyst. A trader never sees another trader's orders,
allocations, parents, uploads or limits: those are 404s, so even an id leaks nothing."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from orders.models import Order, ParentOrder, Source, Upload
from orders.services.intake import order_create
from routing.models import MarketSession
from routing.services.aggregation import aggregation_window_run
from smarttrading.asgi import application
from tca.models import TcaJob

from .test_thin_path import session_cookie_headers

ROLES = ("anonymous", "trader1", "trader2", "supervisor1", "analyst1")


@pytest.fixture
def world(demo):
    """Each trader has an order in a parent of their own; trader1 has an upload; an analyst a TCA job."""
    users = {u.username: u for u in User.objects.all()}
    orders = {}
    for trader, account, symbol in (("trader1", "T1-GROWTH", "AAPL"), ("trader2", "T2-MACRO", "MSFT")):
        orders[trader], _ = order_create(
            submitted_by=users[trader],
            account=account,
            instrument=symbol,
            side="BUY",
            quantity=100,
            client_order_id=f"AUTH-{trader}",
            source=Source.API,
        )
    aggregation_window_run(actor="test")
    for order in orders.values():
        order.refresh_from_db()
    upload = Upload.objects.create(uploaded_by=users["trader1"], file_name="o.csv", content=b"x")
    job = TcaJob.objects.create(kind=TcaJob.Kind.DESK, requested_by=users["analyst1"], filters={})
    return {
        "o1": orders["trader1"].pk,
        "o2": orders["trader2"].pk,
        "p1": orders["trader1"].parent_id,
        "p2": orders["trader2"].parent_id,
        "u1": upload.pk,
        "job": job.pk,
        "s1": MarketSession.objects.get(instrument__symbol="AAPL").pk,
        "users": users,
    }


def client_for(world, role: str) -> APIClient:
    client = APIClient()
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


# (method, path, expected status per role, in ROLES order). {o1} is trader1's order, {p1} its parent.
LOGIN = 302  # pages send the anonymous to the login page
PAGES = [
    ("GET", "/", (LOGIN, 302, 302, 302, 302)),
    ("GET", "/orders/", (LOGIN, 200, 200, 200, 403)),
    ("GET", "/orders/upload/", (LOGIN, 200, 200, 403, 403)),
    ("GET", "/orders/upload/{u1}/", (LOGIN, 200, 404, 403, 403)),
    ("GET", "/orders/upload/{u1}/errors.csv", (LOGIN, 200, 404, 200, 404)),
    ("GET", "/orders/upload/template.csv", (LOGIN, 200, 200, 403, 403)),
    ("GET", "/execution/", (LOGIN, 403, 403, 200, 403)),
    ("GET", "/execution/{p1}/", (LOGIN, 403, 403, 200, 403)),
    ("GET", "/tca/", (LOGIN, 403, 403, 200, 200)),
    ("GET", "/orders/risk/", (LOGIN, 403, 403, 200, 403)),
    ("GET", "/tca/parents/{p1}/", (LOGIN, 403, 403, 200, 200)),
    ("GET", "/tca/parents/{p1}/report.zip", (LOGIN, 403, 403, 200, 200)),
    ("GET", "/tca/reports/{job}/", (LOGIN, 403, 403, 200, 200)),
    ("GET", "/fix/", (LOGIN, 403, 403, 200, 403)),
    ("GET", "/admin/", (LOGIN, LOGIN, LOGIN, 200, LOGIN)),
]
DENIED = 401  # the API asks the anonymous for credentials (WWW-Authenticate: Token)
API = [
    ("GET", "/api/v1/instruments/", (DENIED, 200, 200, 200, 200)),
    ("GET", "/api/v1/instruments/AAPL/quote/", (DENIED, 200, 200, 200, 200)),  # market data is public
    ("GET", "/api/v1/orders/", (DENIED, 200, 200, 200, 200)),
    ("GET", "/api/v1/orders/{o1}/", (DENIED, 200, 404, 200, 200)),
    ("POST", "/api/v1/orders/{o1}/cancel/", (DENIED, None, 404, 403, 403)),
    ("POST", "/api/v1/orders/{o1}/replace/", (DENIED, 400, 404, 403, 403)),  # 400: {} names no new id
    ("POST", "/api/v1/orders/replace/bulk/", (DENIED, 400, 400, 403, 403)),
    ("GET", "/api/v1/orders/{o1}/reports/", (DENIED, 200, 404, 200, 200)),
    ("GET", "/api/v1/orders/uploads/{u1}/", (DENIED, 200, 404, 200, 404)),
    ("GET", "/api/v1/parents/", (DENIED, 200, 200, 200, 200)),
    ("GET", "/api/v1/parents/{p1}/", (DENIED, 200, 404, 200, 200)),
    ("GET", "/api/v1/parents/{p1}/children/", (DENIED, 200, 404, 200, 200)),
    ("GET", "/api/v1/parents/{p1}/scorecard/", (DENIED, 200, 404, 200, 200)),
    ("GET", "/api/v1/parents/{p1}/orders/", (DENIED, 200, 404, 200, 200)),
    ("GET", "/api/v1/parents/{p1}/fills/", (DENIED, 200, 404, 200, 200)),
    ("GET", "/api/v1/parents/{p1}/audit/", (DENIED, 200, 404, 200, 200)),
    ("POST", "/api/v1/parents/{p2}/pause/", (DENIED, 403, 403, 200, 403)),
    ("GET", "/api/v1/kill-switch/", (DENIED, 200, 200, 200, 200)),
    ("GET", "/api/v1/sessions/", (DENIED, 403, 403, 200, 403)),
    ("GET", "/api/v1/allocations/eod.csv", (DENIED, 403, 403, 200, 403)),
    ("POST", "/api/v1/sessions/{s1}/resume/", (DENIED, 403, 403, 409, 403)),  # 409: it is not faulted
    ("POST", "/api/v1/aggregate/", (DENIED, 403, 403, 201, 403)),
    ("GET", "/api/v1/accounts/T1-GROWTH/risk-limits/", (DENIED, 200, 404, 200, 404)),
    ("GET", "/api/v1/tca/parents/{p1}/", (DENIED, 403, 403, 200, 200)),
    ("GET", "/api/v1/tca/jobs/{job}/", (DENIED, 403, 403, 200, 200)),
]


def _status(world, role, method, path):
    client = client_for(world, role)
    url = path.format(**world)
    response = client.generic(method, url, "{}", content_type="application/json")
    return response.status_code


@pytest.mark.django_db
def test_pages_and_api_answer_exactly_the_expected_roles(world):
    got, expected = {}, {}
    for method, path, statuses in PAGES + API:
        for role, status in zip(ROLES, statuses, strict=True):
            if status is None:  # a state-changing call run for its owner in the leak test below
                continue
            expected[(method, path, role)] = status
            got[(method, path, role)] = _status(world, role, method, path)
    assert {k: v for k, v in got.items() if v != expected[k]} == {}


@pytest.mark.django_db
def test_lists_hold_only_what_the_reader_may_see(world):
    def ids(role, url):
        return {row["id"] for row in client_for(world, role).get(url).json()}

    assert ids("trader1", "/api/v1/orders/") == {world["o1"]}
    assert ids("trader2", "/api/v1/orders/") == {world["o2"]}
    assert ids("supervisor1", "/api/v1/orders/") == ids("analyst1", "/api/v1/orders/") == {world["o1"], world["o2"]}
    assert ids("trader1", "/api/v1/parents/") == {world["p1"]}
    assert ids("trader2", "/api/v1/parents/") == {world["p2"]}
    assert ids("supervisor1", "/api/v1/parents/") == {world["p1"], world["p2"]}
    # the blotter page lists only the trader's own orders
    page = client_for(world, "trader2").get("/orders/").content.decode()
    assert "AUTH-trader2" in page and "AUTH-trader1" not in page


@pytest.mark.django_db
def test_only_the_owner_cancels_an_order(world):
    assert client_for(world, "trader2").post(f"/api/v1/orders/{world['o1']}/cancel/").status_code == 404
    response = client_for(world, "trader1").post(f"/api/v1/orders/{world['o1']}/cancel/")
    assert response.status_code in (200, 409)  # 409: already working in the market, with the reason
    assert Order.objects.filter(pk=world["o2"]).exclude(status="CANCELLED").exists()
    assert ParentOrder.objects.filter(pk=world["p2"]).exists()


STREAMS = [
    ("/ws/orders/", (False, True, True, True, False)),  # a supervisor: every trader's
    ("/ws/execution/", (False, False, False, True, False)),
    ("/ws/execution/{p1}/", (False, False, False, True, False)),
    ("/ws/tca/", (False, False, False, True, True)),
]


@pytest.mark.django_db(transaction=True)
async def test_websocket_streams_accept_exactly_the_expected_roles(world):
    from channels.db import database_sync_to_async

    headers = {"anonymous": [(b"origin", b"http://127.0.0.1")]}
    for role in ROLES[1:]:
        headers[role] = await database_sync_to_async(session_cookie_headers)(world["users"][role])
    got, expected = {}, {}
    for path, accepted in STREAMS:
        url = path.format(**world)
        for role, allowed in zip(ROLES, accepted, strict=True):
            communicator = WebsocketCommunicator(application, url, headers=headers[role])
            connected, _ = await communicator.connect()
            got[(url, role)], expected[(url, role)] = connected, allowed
            await communicator.disconnect()
    assert {k: v for k, v in got.items() if v != expected[k]} == {}


@pytest.mark.django_db(transaction=True)
async def test_a_foreign_origin_is_refused_on_every_stream(world):
    from channels.db import database_sync_to_async

    headers = await database_sync_to_async(session_cookie_headers)(world["users"]["supervisor1"])
    foreign = [h for h in headers if h[0] != b"origin"] + [(b"origin", b"https://evil.example")]
    for path, _ in STREAMS:
        communicator = WebsocketCommunicator(application, path.format(**world), headers=foreign)
        connected, _ = await communicator.connect()
        assert not connected, path


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("host", "origin", "accepted"),
    [
        (b"127.0.0.1:8000", b"http://127.0.0.1:8000", True),
        (b"127.0.0.1:8000", b"http://127.0.0.1:9999", False),  # another port: another site
        (b"127.0.0.1:8000", b"https://127.0.0.1:8000", False),  # another scheme
        (b"127.0.0.1", b"https://127.0.0.1", False),
        (b"127.0.0.1:8000", b"http://127.0.0.1", False),
        (b"127.0.0.1:8000", b"null", False),  # a sandboxed frame or a file:// page
        (b"evil.example", b"http://evil.example", False),  # same origin, but not an allowed host
    ],
)
async def test_a_stream_opens_only_from_the_servers_own_origin_scheme_host_and_port(world, host, origin, accepted):
    from channels.db import database_sync_to_async

    cookie = await database_sync_to_async(session_cookie_headers)(world["users"]["supervisor1"])
    headers = [h for h in cookie if h[0] == b"cookie"] + [(b"host", host), (b"origin", origin)]
    communicator = WebsocketCommunicator(application, "/ws/execution/", headers=headers)
    connected, _ = await communicator.connect()
    await communicator.disconnect()

    assert connected is accepted


@pytest.mark.django_db
def test_a_trader_reads_only_their_own_orders_in_a_shared_parents_audit(demo, trader2, supervisor):
    # given: trader1's and trader2's buys of XOM in one parent, and trader1 cancels theirs
    from routing.services.cancels import order_cancel

    mine = {}
    for username, account in (("trader1", "T1-GROWTH"), ("trader2", "T2-MACRO")):
        mine[username], _ = order_create(
            submitted_by=User.objects.get(username=username),
            account=account,
            instrument="XOM",
            side="BUY",
            quantity=700,
            client_order_id=f"SHARED-{username}",
            source=Source.API,
        )
    (parent,) = aggregation_window_run(actor="user:supervisor1")
    order_cancel(order_id=mine["trader1"].pk, cancelled_by=User.objects.get(username="trader1"))

    # when: trader2 reads the parent's audit trail and its member orders
    events = trader2.get(f"/api/v1/parents/{parent.pk}/audit/").json()
    members = trader2.get(f"/api/v1/parents/{parent.pk}/orders/").json()

    # then: nothing of trader1's order, and no trader1 by name; the supervisor sees it all
    assert {e["order"] for e in events} == {None, mine["trader2"].pk}
    assert all("trader1" not in e["actor"] for e in events)
    everything = supervisor.get(f"/api/v1/parents/{parent.pk}/audit/").json()
    assert {e["order"] for e in everything} == {None, mine["trader1"].pk, mine["trader2"].pk}
    assert any(e["actor"] == "user:trader1" for e in everything)
    assert [m["client_order_id"] for m in members] == ["SHARED-trader2"]
    everyone = supervisor.get(f"/api/v1/parents/{parent.pk}/orders/").json()
    assert [(m["client_order_id"], m["status"]) for m in everyone] == [
        ("SHARED-trader1", "CANCELLED"),
        ("SHARED-trader2", "WORKING"),
    ]
