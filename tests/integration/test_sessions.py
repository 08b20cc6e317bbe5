"""Execution-session steps: exactly-once writes, replay safety, reconciliation, expiry."""

import logging

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Sum

from orders.models import Allocation, Order, OrderStatus, ParentStatus, Source
from orders.services.intake import order_create
from routing.models import Fill, MarketSession
from routing.services.aggregation import aggregation_window_run
from routing.services.parents import parent_finish
from routing.services.steps import session_advance

from .test_tca import executed_parent

pytestmark = pytest.mark.django_db


def make_parent(quantity=1_000, urgency="HIGH", limit_price=None):
    trader = User.objects.get(username="trader1")
    order_create(
        submitted_by=trader,
        account="T1-GROWTH",
        instrument="XOM",
        side="SELL",
        quantity=quantity,
        client_order_id=f"S-{quantity}-{limit_price}",
        source=Source.API,
        urgency=urgency,
        limit_price=limit_price,
    )
    (parent,) = aggregation_window_run(actor="test")
    return parent


def run_session(session, steps):
    for _ in range(steps):
        session.refresh_from_db()
        if session.status != MarketSession.Status.RUNNING:
            return
        session_advance(session_id=session.pk, step_no=session.step_no)


def test_a_replayed_step_writes_nothing(demo):
    parent = make_parent()
    session = MarketSession.objects.get(instrument=parent.instrument)
    assert session.status == MarketSession.Status.RUNNING
    assert session_advance(session_id=session.pk, step_no=0) is not None
    fills_after_first = Fill.objects.count()
    assert fills_after_first > 0
    # the same step delivered again (redelivery after a crash, or a duplicate) is a no-op
    assert session_advance(session_id=session.pk, step_no=0) is None
    assert Fill.objects.count() == fills_after_first
    session.refresh_from_db()
    assert session.step_no == 1


def test_parent_fills_reconcile_and_the_session_goes_idle(demo):
    parent = make_parent(quantity=2_500)
    session = MarketSession.objects.get(instrument=parent.instrument)
    run_session(session, 200)
    parent.refresh_from_db()
    session.refresh_from_db()
    assert parent.status == ParentStatus.FILLED
    assert Fill.objects.filter(parent=parent).aggregate(q=Sum("quantity"))["q"] == 2_500
    assert Allocation.objects.filter(parent=parent).aggregate(q=Sum("quantity"))["q"] == 2_500
    assert session.status == MarketSession.Status.IDLE
    kinds = set(parent.audit_events.values_list("kind", flat=True))
    assert {"parent.created", "parent.started", "parent.filled", "order.aggregated"} <= kinds


def test_a_limit_out_of_reach_expires_and_returns_the_rest(demo):
    # a sell limit far above the market never trades; at its end time it expires
    parent = make_parent(quantity=700, limit_price="125.00")
    session = MarketSession.objects.get(instrument=parent.instrument)
    run_session(session, 200)
    parent.refresh_from_db()
    assert parent.status == ParentStatus.EXPIRED
    assert parent.filled_quantity == 0
    assert Order.objects.get(parent=parent).status == OrderStatus.EXPIRED
    assert parent.audit_events.filter(kind="order.expired").count() == 1


def run_until_children_work(session, parent, max_steps=60):
    for _ in range(max_steps):
        run_session(session, 1)
        if parent.children.filter(status__in=["SENT", "LIVE"]).exists():
            return
    raise AssertionError("no child order was working")


def test_pause_cancels_working_children_and_resume_reschedules(demo):
    from routing.services.controls import parent_pause, parent_resume

    parent = make_parent(quantity=20_000, urgency="LOW")
    session = MarketSession.objects.get(instrument=parent.instrument)
    run_until_children_work(session, parent)
    parent.refresh_from_db()
    assert parent.status == ParentStatus.WORKING

    working = list(parent.children.filter(status__in=["SENT", "LIVE"]).values_list("pk", flat=True))
    parent_pause(parent_id=parent.pk, actor="user:super1")
    run_session(session, 1)
    parent.refresh_from_db()
    assert parent.status == ParentStatus.PAUSED
    assert not parent.children.filter(status__in=["SENT", "LIVE"]).exists()
    # each child working at the pause was cancelled at its venue, unless a fill got there first
    ended = dict(parent.children.filter(pk__in=working).values_list("pk", "status"))
    assert set(ended.values()) <= {"CANCELLED", "FILLED"}
    cancelled = [pk for pk, st in ended.items() if st == "CANCELLED"]
    audited = parent.audit_events.filter(kind="child.cancelled", detail__reason="requested")
    assert sorted(e.detail["child"] for e in audited) == sorted(cancelled)
    filled_when_paused = parent.filled_quantity
    run_session(session, 5)
    parent.refresh_from_db()
    assert parent.filled_quantity == filled_when_paused  # nothing is sent while paused

    parent_resume(parent_id=parent.pk, actor="user:super1")
    resumed_at = parent.audit_events.get(kind="parent.resumed").pk
    run_session(session, 6)
    parent.refresh_from_db()
    assert parent.status == ParentStatus.WORKING
    assert parent.audit_events.filter(kind="child.placed", pk__gt=resumed_at).exists()
    kinds = list(parent.audit_events.values_list("kind", "actor"))
    assert ("parent.paused", "user:super1") in kinds and ("parent.resumed", "user:super1") in kinds


def test_cancel_closes_the_parent_once_its_children_are_cancelled(demo):
    from routing.services.controls import parent_cancel

    parent = make_parent(quantity=20_000, urgency="LOW")
    session = MarketSession.objects.get(instrument=parent.instrument)
    run_until_children_work(session, parent)
    parent_cancel(parent_id=parent.pk, actor="user:super1")
    run_session(session, 1)
    parent.refresh_from_db()
    assert parent.status == ParentStatus.CANCELLED
    assert not parent.children.filter(status__in=["SENT", "LIVE"]).exists()
    fills = Fill.objects.filter(parent=parent).aggregate(q=Sum("quantity"))["q"] or 0
    allocated = Allocation.objects.filter(parent=parent).aggregate(q=Sum("quantity"))["q"] or 0
    assert parent.filled_quantity == fills == allocated
    assert all(o.status in (OrderStatus.CANCELLED, OrderStatus.FILLED) for o in parent.orders.all())


def test_kill_switch_blocks_orders_cancels_children_and_only_a_release_lets_orders_in(demo):
    from routing.services.controls import ControlRefused, kill_switch_set, parent_resume

    parent = make_parent(quantity=20_000, urgency="LOW")
    session = MarketSession.objects.get(instrument=parent.instrument)
    run_until_children_work(session, parent)
    kill_switch_set(engaged=True, actor="user:super1", reason="test")
    run_session(session, 1)
    parent.refresh_from_db()
    assert parent.status == ParentStatus.PAUSED
    assert not parent.children.filter(status__in=["SENT", "LIVE"]).exists()
    trader = User.objects.get(username="trader1")
    blocked, _ = order_create(
        submitted_by=trader,
        account="T1-GROWTH",
        instrument="XOM",
        side="BUY",
        quantity=100,
        client_order_id="K-1",
        source=Source.API,
    )
    assert blocked.status == OrderStatus.REJECTED and "kill switch" in blocked.reject_reason
    with pytest.raises(ControlRefused, match="kill switch"):
        parent_resume(parent_id=parent.pk, actor="user:super1")
    kill_switch_set(engaged=False, actor="user:super1")
    parent_resume(parent_id=parent.pk, actor="user:super1")
    parent.refresh_from_db()
    assert parent.status == ParentStatus.WORKING


def test_a_finished_parent_records_its_reconciliation_in_the_audit_trail(demo):
    parent = make_parent(quantity=1_000, urgency="HIGH")
    session = MarketSession.objects.get(instrument=parent.instrument)
    run_session(session, 200)
    parent.refresh_from_db()
    assert parent.status == ParentStatus.FILLED
    event = parent.audit_events.get(kind="parent.reconciled")
    assert event.detail["balanced"] is True
    assert event.detail["parent_filled"] == event.detail["allocated"] == 1_000
    assert sum(v.get("quantity", 0) for v in event.detail["venues"]) == event.detail["child_fills"]
    kinds = set(parent.audit_events.values_list("kind", flat=True))
    assert {"child.placed", "child.filled"} <= kinds


def test_a_resume_gives_back_the_time_the_parent_was_paused(demo):
    from routing.services.controls import parent_pause, parent_resume

    # given: a working parent with a 10-minute window, paused for 15 simulated minutes
    parent = make_parent(quantity=50_000, urgency="HIGH")
    session = MarketSession.objects.get(instrument=parent.instrument)
    run_session(session, 2)
    parent.refresh_from_db()
    end_before = parent.end
    parent_pause(parent_id=parent.pk, actor="user:supervisor1")
    run_session(session, 180)  # 15 minutes of 5-second steps: past the parent's end time
    parent.refresh_from_db()
    assert parent.status == ParentStatus.PAUSED

    # when: a supervisor resumes it
    resumed = parent_resume(parent_id=parent.pk, actor="user:supervisor1")

    # then: its end moved on by the time it was paused, so it works on instead of expiring
    paused_s = (resumed.end - end_before).total_seconds()
    assert paused_s == pytest.approx(15 * 60, abs=5)
    run_session(session, 3)
    parent.refresh_from_db()
    assert parent.status == ParentStatus.WORKING


def test_a_supervisor_resumes_with_a_new_end_time_of_their_own(demo, supervisor):
    from datetime import time

    from routing.market.clock import EXCHANGE_TZ
    from routing.services.controls import parent_pause

    # given: a paused working parent, the market at about 09:30:10
    parent = make_parent(quantity=50_000, urgency="HIGH")
    session = MarketSession.objects.get(instrument=parent.instrument)
    run_session(session, 2)
    parent_pause(parent_id=parent.pk, actor="user:supervisor1")

    # when: resumed with an end before the market's time, then with 11:15
    url = f"/api/v1/parents/{parent.pk}/resume/"
    too_early = supervisor.post(url, {"end_time": "09:00"}, format="json")
    resumed = supervisor.post(url, {"end_time": "11:15"}, format="json")

    # then: the first is refused with the reason, the second sets the end
    assert too_early.status_code == 409
    assert too_early.json()["detail"].startswith("the new end time must be after the market's time 09:30:")
    assert resumed.status_code == 200
    parent.refresh_from_db()
    assert parent.status == ParentStatus.WORKING
    assert parent.end.astimezone(EXCHANGE_TZ).time() == time(11, 15)
    event = parent.audit_events.get(kind="parent.resumed")
    assert (event.actor, event.detail["end_chosen"]) == ("user:supervisor1", True)


def test_the_close_leaves_an_unfinished_order_done_for_the_day_with_a_done_for_day_report(demo):
    # given a sell limit out of reach that has worked a few steps
    parent = make_parent(quantity=700, limit_price="125.00")
    session = MarketSession.objects.get(instrument=parent.instrument)
    run_session(session, 3)
    parent.refresh_from_db()
    order = Order.objects.get(parent=parent)
    assert order.status == OrderStatus.WORKING

    # when the close ends its parent
    with transaction.atomic():
        parent_finish(parent, ParentStatus.EXPIRED, "market closed", parent.end, day_ended=True)

    # then the order is done for the day, its rest given up, and its client is told so
    order.refresh_from_db()
    assert (order.status, order.filled_quantity, order.cancelled_quantity) == (OrderStatus.DONE_FOR_DAY, 0, 700)
    last = order.reports.order_by("id").last()
    assert (last.exec_type, last.order_status, last.leaves_quantity, last.text) == (
        "DONE_FOR_DAY",
        "DONE_FOR_DAY",
        0,
        "market closed",
    )
    assert parent.audit_events.filter(kind="order.done_for_day").count() == 1


def test_the_log_tells_a_person_each_parents_start_and_end_and_keeps_step_detail_out(demo, caplog):
    # given the log at INFO, as make run has it
    caplog.set_level(logging.INFO)

    # when a parent runs to its end
    parent = executed_parent()

    # then the log has its start and its end, in exchange time, and Celery's per-task lines are quieter
    lines = [r.getMessage() for r in caplog.records if r.name == "routing.services.parents"]
    assert lines[0].startswith(f"parent {parent.pk} started: BUY 2,000 XOM ") and "arrival" in lines[0]
    assert lines[-1] == f"parent {parent.pk} filled (complete): 2,000 of 2,000 XOM filled"
    for quiet in ("celery.app.trace", "celery.worker.strategy", "celery.beat", "django.request"):
        assert not logging.getLogger(quiet).isEnabledFor(logging.INFO), quiet


def test_the_parents_own_story_and_its_latest_children_through_the_api(demo, supervisor):
    # Given a finished parent, with its children's events in its audit trail
    parent = make_parent(quantity=1_000, urgency="HIGH")
    run_session(MarketSession.objects.get(instrument=parent.instrument), 200)
    everything = supervisor.get(f"/api/v1/parents/{parent.pk}/audit/").json()
    # When the supervisor asks for the parent's own events
    own = supervisor.get(f"/api/v1/parents/{parent.pk}/audit/?scope=parent").json()
    # Then they are the parent's, in order, without a child's or an order's
    assert [e["kind"] for e in own] == [
        e["kind"] for e in everything if e["order"] is None and not e["kind"].startswith("child.")
    ]
    assert own[0]["kind"] == "parent.created" and own[-1]["kind"] == "parent.reconciled"
    # And the latest three of everything are the last three, oldest first
    latest = supervisor.get(f"/api/v1/parents/{parent.pk}/audit/?latest=3").json()
    assert [e["id"] for e in latest] == [e["id"] for e in everything[-3:]]
    # And the latest two children come with the count of all of them
    answer = supervisor.get(f"/api/v1/parents/{parent.pk}/children/?latest=2")
    total = parent.children.count()
    assert answer["X-Total-Count"] == str(total) and total > 2
    assert [c["id"] for c in answer.json()] == list(parent.children.order_by("id").values_list("pk", flat=True))[-2:]
    # And the venue scorecard is the one its session's last step left, with what it sent where
    scorecard = supervisor.get(f"/api/v1/parents/{parent.pk}/scorecard/").json()
    assert scorecard == MarketSession.objects.get(instrument=parent.instrument).scorecard
    assert sum(row["sent"] for row in scorecard) >= 1_000
    # And a bad bound is a 400 with the field's error
    bad = supervisor.get(f"/api/v1/parents/{parent.pk}/children/?latest=0")
    assert bad.status_code == 400 and "latest" in bad.json()
