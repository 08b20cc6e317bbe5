"""A trader's own execution instructions per order: window, participation cap, aggressiveness,
venues to avoid. Every channel takes them, intake checks them, aggregation groups only orders
that chose the same, and the parent runs with exactly them."""

from datetime import time
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from orders.models import Order, ParentStatus, Source
from orders.services.intake import order_create
from orders.services.uploads import upload_process
from routing.market.clock import EXCHANGE_TZ
from routing.models import ChildOrder, MarketSession
from routing.services.aggregation import aggregation_window_run
from routing.services.steps import session_advance

pytestmark = pytest.mark.django_db


def enter(client_order_id, quantity=2_000, *, account="T1-GROWTH", urgency="HIGH", **instructions):
    order, _ = order_create(
        submitted_by=User.objects.get(username="trader1"),
        account=account,
        instrument="XOM",
        side="BUY",
        quantity=quantity,
        client_order_id=client_order_id,
        source=Source.API,
        urgency=urgency,
        instructions=instructions,
    )
    return order


def step(session) -> MarketSession:
    session.refresh_from_db()
    session_advance(session_id=session.pk, step_no=session.step_no)
    session.refresh_from_db()
    return session


def test_the_api_takes_instructions_and_answers_each_bad_one_with_its_field(demo, trader1):
    # given: an order with every instruction, and one with every instruction wrong
    good = {
        "client_order_id": "INSTR-1",
        "account": "T1-GROWTH",
        "instrument": "XOM",
        "side": "BUY",
        "quantity": 1_000,
        "start_time": "10:00",
        "end_time": "11:30:00",
        "max_participation": "15%",
        "aggressiveness": 0.3,
        "exclude_venues": ["nyse", "DARKX"],
    }
    bad = {
        **good,
        "client_order_id": "INSTR-2",
        "start_time": "12:00",
        "end_time": "11:00",
        "max_participation": "0.75",
        "aggressiveness": "2",
        "exclude_venues": ["MOON"],
    }

    # when
    created = trader1.post("/api/v1/orders/", good, format="json")
    refused = trader1.post("/api/v1/orders/", bad, format="json")

    # then: the good one is stored as chosen, normalized
    assert created.status_code == 201, created.content
    assert created.json()["instructions"] == {
        "start_time": "10:00:00",
        "end_time": "11:30:00",
        "max_participation": "0.1500",
        "aggressiveness": "0.3000",
        "exclude_venues": ["DARKX", "NYSE"],
    }
    # and the bad one gets a 400 naming every field and why
    assert refused.status_code == 400
    errors = refused.json()
    assert errors["end_time"] == ["must be after the start time 12:00:00"]
    assert errors["max_participation"] == ["must be between 1% and 50% (0.01 to 0.50)"]
    assert errors["aggressiveness"] == ["must be between 0 (patient) and 1 (crosses as soon as behind)"]
    assert errors["exclude_venues"][0].startswith("unknown venue MOON; the venues are ")
    assert not Order.objects.filter(client_order_id="INSTR-2").exists()


def test_a_window_past_the_close_or_every_lit_venue_excluded_is_refused(demo, trader1):
    base = {"client_order_id": "W-1", "account": "T1-GROWTH", "instrument": "XOM", "side": "SELL", "quantity": 100}
    late = trader1.post("/api/v1/orders/", {**base, "end_time": "16:30"}, format="json")
    lit = ["NYSE", "NASDAQ", "BATS"]
    nowhere = trader1.post("/api/v1/orders/", {**base, "exclude_venues": lit}, format="json")
    assert late.json() == {"end_time": ["is past the close (16:00)"]}
    assert nowhere.json() == {"exclude_venues": ["leaves no lit venue to trade on"]}


def test_orders_aggregate_only_with_orders_that_chose_the_same(demo):
    # given: two plain orders, two capped at 10%, one capped at 10% avoiding NYSE
    for n in range(2):
        enter(f"PLAIN-{n}")
        enter(f"CAP-{n}", max_participation="0.10")
    enter("CAP-NO-NYSE", max_participation="0.10", exclude_venues="NYSE")

    # when
    parents = aggregation_window_run(actor="test")

    # then: three parents, each with its own instructions and the orders that chose them
    by_instructions = {str(sorted(p.instructions.items())): p for p in parents}
    assert len(parents) == 3
    plain = by_instructions["[]"]
    capped = by_instructions["[('max_participation', '0.1000')]"]
    avoiding = by_instructions["[('exclude_venues', ['NYSE']), ('max_participation', '0.1000')]"]
    assert (plain.quantity, capped.quantity, avoiding.quantity) == (4_000, 4_000, 2_000)
    assert plain.max_participation == Decimal("0.35")  # HIGH urgency's default
    assert capped.max_participation == avoiding.max_participation == Decimal("0.1")
    assert sorted(Order.objects.filter(parent=capped).values_list("client_order_id", flat=True)) == ["CAP-0", "CAP-1"]


def test_a_parent_starts_no_earlier_than_asked_ends_when_asked_and_never_uses_an_excluded_venue(demo):
    # given: an order to start at 09:31, be done by 09:41, never on NYSE or BATS
    order = enter("TIMED", 3_000, start_time="09:31", end_time="09:41", exclude_venues="NYSE,BATS")
    (parent,) = aggregation_window_run(actor="test")
    session = MarketSession.objects.get(instrument__symbol="XOM")

    # when: the session steps through its first simulated minute
    for _ in range(6):
        session = step(session)
    parent.refresh_from_db()

    # then: before 09:31 the parent waits, sending nothing
    assert parent.status == ParentStatus.NEW and parent.start is None
    assert not ChildOrder.objects.filter(parent=parent).exists()

    # when: the session steps on to the parent's end
    for _ in range(200):
        session = step(session)
        parent.refresh_from_db()
        if parent.status not in (ParentStatus.NEW, ParentStatus.WORKING):
            break

    # then: it started at 09:31, was due by 09:41, and no child went to NYSE or BATS
    start, end = parent.start.astimezone(EXCHANGE_TZ), parent.end.astimezone(EXCHANGE_TZ)
    assert time(9, 31) <= start.time() < time(9, 31, 6)
    assert end.time() == time(9, 41)
    venues = set(ChildOrder.objects.filter(parent=parent).values_list("venue", flat=True))
    assert venues and not venues & {"NYSE", "BATS"}
    assert parent.finished.astimezone(EXCHANGE_TZ).time() <= time(9, 41, 5)
    order.refresh_from_db()
    assert order.filled_quantity == parent.filled_quantity


def test_an_upload_takes_instruction_columns_and_reports_a_bad_one_by_row(demo, trader1):
    text = (
        "client_order_id,instrument,side,quantity,account,start_time,end_time,max_participation,exclude_venues\n"
        "U-1,XOM,BUY,100,T1-GROWTH,10:00,11:00,20%,NYSE;DARKX\n"
        "U-2,XOM,BUY,100,T1-GROWTH,25:00,,,\n"
    )
    response = trader1.post(
        "/api/v1/orders/upload/",
        {"file": SimpleUploadedFile("orders.csv", text.encode()), "mode": "ACCEPT_VALID"},
    )
    upload = upload_process(upload_id=response.json()["id"])
    assert (upload.accepted, upload.error_rows) == (1, 1)
    assert Order.objects.get(client_order_id="U-1").instructions == {
        "start_time": "10:00:00",
        "end_time": "11:00:00",
        "max_participation": "0.2000",
        "exclude_venues": ["DARKX", "NYSE"],
    }
    (error,) = upload.errors.all()
    assert (error.row, error.column, error.reason) == (3, "start_time", "25:00 is not a time of day")
