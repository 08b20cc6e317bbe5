"""The order lifecycle under everything a desk does at once, as a stateful property test: random
submits, aggregations, steps, cancels, amends, pauses, resumes and kill switches through the
services and the real engine, with the promises checked after every move.

``SMARTTRADING_LIFECYCLE_EXAMPLES`` sets how many sequences run (``make soak`` runs many).
"""

import contextlib
import os
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from orders.models import (
    AccountDayUsage,
    Allocation,
    Amendment,
    ExecutionReport,
    Order,
    OrderStatus,
    ParentOrder,
    Source,
)
from orders.services.intake import order_create
from routing.models import ChildOrder, Fill, MarketSession
from routing.selectors import parent_reconciliation
from routing.services.aggregation import aggregation_window_run
from routing.services.cancels import order_cancel
from routing.services.controls import ControlRefused, kill_switch_set, parent_cancel, parent_pause, parent_resume
from routing.services.replaces import order_replace
from routing.services.steps import session_advance

EXAMPLES = int(os.environ.get("SMARTTRADING_LIFECYCLE_EXAMPLES", "60"))
ACCOUNTS = [("trader1", "T1-GROWTH"), ("trader1", "T1-INCOME"), ("trader2", "T2-MACRO")]
OPEN_CHILD = (ChildOrder.Status.SENT, ChildOrder.Status.LIVE)
SEEN: Counter = Counter()  # what the sequences did, so a run that did nothing cannot pass
CONTROLS = [parent_pause, parent_resume, parent_pause, parent_resume, parent_cancel]  # cancels rarer


class DeskDay(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()  # each sequence starts from the demo data
        self.atomic.__enter__()
        self.users = {u.username: u for u in User.objects.filter(username__in=["trader1", "trader2"])}
        self.submitted = 0
        self.steps_seen: dict[int, int] = {}
        self.orders_seen: dict[int, tuple] = {}

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    @initialize(
        symbol=st.sampled_from(["XOM", "JPM"]), side=st.sampled_from(["BUY", "SELL"]), lots=st.integers(10, 200)
    )
    def a_parent_at_work(self, symbol, side, lots):
        """Every sequence starts with a parent at work, so that its steps fill: from nothing, random
        rules reached a fill in anything from 170 steps of 60 sequences to none."""
        self.submit(ACCOUNTS[0], symbol, side, lots, "HIGH", None)
        self.aggregate()

    @rule(
        account=st.sampled_from(ACCOUNTS),
        symbol=st.sampled_from(["XOM", "JPM"]),
        side=st.sampled_from(["BUY", "SELL"]),
        lots=st.integers(1, 200),
        urgency=st.sampled_from(["LOW", "MEDIUM", "HIGH"]),
        strategy=st.sampled_from([None, "TWAP", "VWAP", "POV", "IS"]),
    )
    def submit(self, account, symbol, side, lots, urgency, strategy):
        username, code = account
        self.submitted += 1
        order_create(
            submitted_by=self.users[username],
            account=code,
            instrument=symbol,
            side=side,
            quantity=100 * lots,
            client_order_id=f"M-{self.submitted}",
            source=Source.API,
            urgency=urgency,
            strategy=strategy,
        )

    @rule()
    def aggregate(self):
        aggregation_window_run(actor="machine")

    @rule(steps=st.integers(1, 12))
    def step(self, steps):
        for _ in range(steps):
            for session in MarketSession.objects.filter(status=MarketSession.Status.RUNNING).order_by("id"):
                outcome = session_advance(session_id=session.pk, step_no=session.step_no)
                if outcome is not None and outcome.fills:
                    SEEN["steps with fills"] += 1
        if Order.objects.filter(status=OrderStatus.PENDING_CANCEL).exists():
            SEEN["a cancel waiting for shares out at venues"] += 1
        if Order.objects.filter(status=OrderStatus.PENDING_REPLACE).exists():
            SEEN["an amend waiting for shares out at venues"] += 1

    @precondition(lambda self: Order.objects.exists())
    @rule(data=st.data())
    def cancel(self, data):
        order = data.draw(st.sampled_from(list(Order.objects.order_by("id"))))
        owner = self.users[order.submitted_by.username]
        with contextlib.suppress(ValidationError):  # refused with its reason: done, or already being cancelled
            cancelled = order_cancel(order_id=order.pk, cancelled_by=owner)
            SEEN[f"cancel -> {cancelled.status}"] += 1

    @precondition(lambda self: Order.objects.exists())
    @rule(
        data=st.data(),
        lots=st.integers(1, 300),
        new_limit=st.booleans(),
        participation=st.sampled_from([None, "0.05", "0.30"]),
    )
    def amend(self, data, lots, new_limit, participation):
        orders = Order.objects.select_related("instrument").order_by("id")
        working = list(orders.filter(status__in=(OrderStatus.WORKING, OrderStatus.PARTIALLY_FILLED)))
        # Mostly orders at work in a parent, where an amend has to wait for the venues; any order now and then.
        order = data.draw(st.sampled_from(working if working and data.draw(st.booleans()) else list(orders)))
        owner = self.users[order.submitted_by.username]
        self.submitted += 1
        terms = {"quantity": 100 * lots}
        if new_limit:  # a new limit near the market: the order moves to a parent that runs it
            terms["limit_price"] = order.instrument.reference_price
        instructions = {} if participation is None else {"max_participation": participation}
        with contextlib.suppress(ValidationError):  # refused with its reason: done, pending, below filled, risk
            amendment = order_replace(
                order_id=order.pk,
                requested_by=owner,
                client_order_id=f"M-{self.submitted}",
                source=Source.API,
                instructions=instructions,
                **terms,
            )
            SEEN[f"amend {amendment.kind} -> {amendment.status}"] += 1

    @precondition(lambda self: ParentOrder.objects.exists())
    @rule(data=st.data(), control=st.sampled_from(CONTROLS))
    def supervise(self, data, control):
        parent = data.draw(st.sampled_from(list(ParentOrder.objects.order_by("id"))))
        with contextlib.suppress(ControlRefused):  # refused with its reason: not live, or not paused
            control(parent_id=parent.pk, actor="user:supervisor1")
            SEEN[f"{control.__name__} accepted"] += 1

    @rule(engaged=st.booleans())
    def kill_switch(self, engaged):
        kill_switch_set(engaged=engaged, actor="user:supervisor1", reason="machine")

    @invariant()
    def orders_never_overfill_nor_overcancel(self):
        for quantity, filled, cancelled in Order.objects.values_list(
            "quantity", "filled_quantity", "cancelled_quantity"
        ):
            assert filled >= 0 and cancelled >= 0 and filled + cancelled <= quantity

    @invariant()
    def parents_hold_their_filled_and_open_shares(self):
        open_by_parent = dict(
            ChildOrder.objects.filter(status__in=OPEN_CHILD)
            .values("parent")
            .annotate(open=Sum("quantity") - Sum("filled_quantity"))
            .values_list("parent", "open")
        )
        for parent in ParentOrder.objects.all():
            assert parent.filled_quantity <= parent.quantity
            assert parent.quantity - parent.crossed_quantity >= (
                parent.filled_quantity - parent.crossed_quantity + open_by_parent.get(parent.pk, 0)
            )

    @invariant()
    def fills_allocations_and_orders_agree(self):
        for parent in ParentOrder.objects.all():
            fills = Fill.objects.filter(parent=parent).aggregate(q=Sum("quantity"))["q"] or 0
            allocated = Allocation.objects.filter(parent=parent).aggregate(q=Sum("quantity"))["q"] or 0
            assert parent.filled_quantity == fills + parent.crossed_quantity == allocated
            assert parent_reconciliation(parent)["balanced"]
        allocated_to = dict(Allocation.objects.values("order").annotate(q=Sum("quantity")).values_list("order", "q"))
        for pk, filled in Order.objects.values_list("pk", "filled_quantity"):
            assert filled == allocated_to.get(pk, 0)  # an order moved by an amend has fills in two parents

    @invariant()
    def execution_reports_tell_each_order_its_whole_story(self):
        """What a FIX client would reconcile from: the first report acknowledges, the fill
        reports add up to the filled quantity, the last one has the order's status and figures."""
        reports: dict[int, list] = {}
        for row in ExecutionReport.objects.order_by("id").values_list(
            "order", "exec_type", "order_status", "last_quantity", "cum_quantity", "leaves_quantity"
        ):
            reports.setdefault(row[0], []).append(row[1:])
        for pk, status, filled, leaves in Order.objects.annotate(
            leaves=F("quantity") - F("filled_quantity") - F("cancelled_quantity")
        ).values_list("pk", "status", "filled_quantity", "leaves"):
            story = reports[pk]
            assert story[0][0] in ("NEW", "REJECTED")
            assert sum(r[2] for r in story if r[0] == "TRADE") == filled
            last = story[-1]
            assert last[3] == filled
            if status in ("FILLED", "CANCELLED", "EXPIRED", "DONE_FOR_DAY", "REJECTED"):
                assert (last[1], last[4]) == (status, 0)
            elif status in ("PENDING_AGGREGATION", "WORKING", "PARTIALLY_FILLED"):
                assert last[4] == leaves

    @invariant()
    def each_accounts_daily_total_is_what_its_orders_of_the_day_add_up_to(self):
        """The running total the daily limit reads, against the sum it replaced."""
        summed: dict[tuple, Decimal] = {}
        for account_id, received_at, notional in Order.objects.exclude(status=OrderStatus.REJECTED).values_list(
            "account", "received_at", "risk_notional"
        ):
            key = (account_id, timezone.localtime(received_at).date())
            summed[key] = summed.get(key, Decimal(0)) + notional
        kept = {(row.account_id, row.day): row.gross_notional for row in AccountDayUsage.objects.all()}
        assert {key: total for key, total in kept.items() if total} == {k: v for k, v in summed.items() if v}

    @invariant()
    def an_order_that_changed_has_a_newer_revision(self):
        """Pages keep the newest of an order's payloads by its revision: every change of what they
        show must move it forward, or a late, older payload would be kept over the change."""
        shown = ("status", "quantity", "filled_quantity", "cancelled_quantity", "client_order_id", "parent_id")
        for order in Order.objects.only(*shown, "updated_at"):
            now = tuple(getattr(order, field) for field in shown)
            seen = self.orders_seen.get(order.pk)
            if seen is not None and seen[0] != now:
                SEEN["order changed"] += 1
                assert order.revision > seen[1], f"order {order.pk} changed {seen[0]} -> {now} at the same revision"
            self.orders_seen[order.pk] = (now, order.revision)

    @invariant()
    def an_order_has_a_pending_amend_exactly_while_pending_replace(self):
        pending = set(Amendment.objects.filter(status=Amendment.Status.PENDING).values_list("order", flat=True))
        replacing = set(Order.objects.filter(status=OrderStatus.PENDING_REPLACE).values_list("pk", flat=True))
        assert pending == replacing

    @invariant()
    def sessions_only_move_forward_and_never_fault(self):
        for pk, step_no, status, failures in MarketSession.objects.values_list("pk", "step_no", "status", "failures"):
            assert step_no >= self.steps_seen.get(pk, 0)
            self.steps_seen[pk] = step_no
            assert status != MarketSession.Status.FAULTED and failures == 0

    @invariant()
    def finished_orders_are_finished(self):
        done = (
            OrderStatus.FILLED,
            OrderStatus.CANCELLED,
            OrderStatus.EXPIRED,
            OrderStatus.DONE_FOR_DAY,
            OrderStatus.REJECTED,
        )
        for status, quantity, filled, cancelled in Order.objects.filter(status__in=done).values_list(
            "status", "quantity", "filled_quantity", "cancelled_quantity"
        ):
            if status == OrderStatus.FILLED:
                assert filled == quantity
            elif status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.DONE_FOR_DAY):
                assert filled + cancelled == quantity


@pytest.mark.django_db
def test_the_lifecycle_keeps_its_promises_whatever_the_desk_does(demo):
    SEEN.clear()
    run_state_machine_as_test(
        DeskDay,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    print(f"{EXAMPLES} sequences:", dict(sorted(SEEN.items())))
    assert SEEN["steps with fills"] and SEEN["cancel -> PENDING_CANCEL"] + SEEN["cancel -> CANCELLED"]
    assert sum(n for what, n in SEEN.items() if what.startswith("amend "))
