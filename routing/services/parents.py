"""A parent's lifecycle: started by its session, paused and resumed, closed when done."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Min
from django.utils import timezone

from orders.audit import ENGINE, audit_event
from orders.broadcasts import orders_publish
from orders.domain.instructions import Instructions
from orders.domain.lifecycle import FINISHED, OrderEvent, OrderStatus, order_transition
from orders.domain.values import Strategy, half_ticks_to_price
from orders.models import (
    ORDER_WORKING_STATUSES,
    Amendment,
    AuditEvent,
    Order,
    ParentOrder,
    ParentStatus,
)
from orders.reports import ExecType, execution_report, execution_reports_add

from ..market.clock import EXCHANGE_TZ, OPEN_NS, to_datetime
from ..market.simulator import MarketSimulator
from ..models import MarketSession
from ..selectors import parent_reconciliation, parent_venue_breakdown
from . import clock as clock_service

logger = logging.getLogger(__name__)


def parent_start(parent: ParentOrder, simulator: MarketSimulator, now, session: MarketSession) -> bool:
    """Start a NEW parent at simulated ``now``, unless its orders said to start later; True if it started.

    Its end is the end time its orders chose, or its urgency's horizon from now; never past the
    close; the close itself for a parent for the closing auction, and its start for one for the
    opening auction (the day's first step sends it in before the cross).
    """
    chosen = Instructions.from_json(parent.instructions)
    day = session.trading_date
    if chosen.start_time is not None and now < datetime.combine(day, chosen.start_time, tzinfo=EXCHANGE_TZ):
        return False
    if parent.strategy == Strategy.OPEN and now > to_datetime(day, OPEN_NS) and _for_a_later_open(parent, day):
        return False
    close = to_datetime(day, simulator.close_ns)
    tick = parent.instrument.tick_size
    mid2 = simulator.mid_ticks_x2()
    parent.status = ParentStatus.WORKING
    parent.session = session
    parent.start = now
    if parent.strategy == Strategy.CLOSE:
        parent.end = close
    elif parent.strategy == Strategy.OPEN:  # the opening auction, or nothing: it runs at the day's first step
        parent.end = now
    elif chosen.end_time is not None:
        parent.end = min(datetime.combine(day, chosen.end_time, tzinfo=EXCHANGE_TZ), close)
    else:
        parent.end = min(now + timedelta(seconds=parent.duration_s), close)
    parent.arrival_price = half_ticks_to_price(mid2, tick)
    parent.save(update_fields=["status", "session", "start", "end", "arrival_price", "updated_at"])
    logger.info(
        "parent %s started: %s %s %s %s, %s to %s (exchange time), arrival %s",
        parent.pk,
        parent.side,
        f"{parent.quantity:,}",
        parent.instrument.symbol,
        parent.strategy,
        f"{parent.start:%H:%M:%S}",
        f"{parent.end:%H:%M:%S}",
        parent.arrival_price,
    )
    AuditEvent.objects.create(
        kind="parent.started",
        actor=ENGINE,
        parent=parent,
        sim_time=now,
        detail={"arrival_price": str(parent.arrival_price), "end": _exchange_iso(parent.end)},
    )
    return True


# The report of an order its parent's end leaves finished, by the status it ends in.
ENDING_REPORTS = {
    OrderStatus.CANCELLED: ExecType.CANCELED,
    OrderStatus.EXPIRED: ExecType.EXPIRED,
    OrderStatus.DONE_FOR_DAY: ExecType.DONE_FOR_DAY,
}


def parent_finish(parent: ParentOrder, status: ParentStatus, reason: str, now, *, day_ended: bool = False) -> None:
    """Close the parent and record its reconciliation: fills, children, allocations, venues."""
    parent_close(parent=parent, status=status, actor=ENGINE, reason=reason, finished=now, day_ended=day_ended)
    AuditEvent.objects.create(
        kind="parent.reconciled",
        actor=ENGINE,
        parent=parent,
        sim_time=now,
        detail={**parent_reconciliation(parent), "venues": parent_venue_breakdown(parent)},
    )


def parent_close(
    *, parent: ParentOrder, status: ParentStatus, actor: str, reason: str, finished=None, day_ended: bool = False
) -> None:
    """End a parent; its orders give up what was not filled. Inside the caller's transaction.

    ``finished`` is the simulated time its execution ended, when it ran in the market;
    ``day_ended``: the close ended it, so its unfinished orders are done for the day.
    """
    parent.status = status
    parent.finished = finished
    parent.save(update_fields=["status", "finished", "updated_at"])
    logger.info(
        "parent %s %s (%s): %s of %s %s filled",
        parent.pk,
        status.lower(),
        reason,
        f"{parent.filled_quantity:,}",
        f"{parent.quantity:,}",
        parent.instrument.symbol,
    )
    audit = [
        audit_event(f"parent.{status.lower()}", actor, parent=parent, reason=reason, filled=parent.filled_quantity)
    ]
    open_orders = list(parent.orders.filter(status__in=ORDER_WORKING_STATUSES).select_related("account", "instrument"))
    if day_ended:
        event = OrderEvent.DAY_ENDED
    else:
        event = OrderEvent.EXPIRED if status == ParentStatus.EXPIRED else OrderEvent.CANCELLED
    for order in open_orders:
        was, unfilled = order.status, order.remaining_quantity
        order.status = order_transition(order.status, event)
        order.cancelled_quantity += unfilled
        audit.append(
            audit_event(
                f"order.{order.status.lower()}",
                actor,
                order=order,
                parent=parent,
                unfilled=unfilled,
                reason=reason,
                transition=[was, order.status],
            )
        )
    Order.objects.bulk_save(open_orders, ["status", "cancelled_quantity"])
    AuditEvent.objects.bulk_create(audit)
    execution_reports_add(execution_report(order, ENDING_REPORTS[order.status], text=reason) for order in open_orders)
    amendments_overtaken(parent_ids=[parent.pk])
    orders_publish(open_orders)


def parent_paused(parent: ParentOrder, now, *, reason: str) -> list[str]:
    """Mark a parent paused at simulated ``now``, saying why; the fields to save."""
    parent.status = ParentStatus.PAUSED
    parent.paused_at = now
    parent.paused_reason = reason
    return ["status", "paused_at", "paused_reason"]


def _for_a_later_open(parent: ParentOrder, day) -> bool:
    """An order at the open taken in a later day's pre-open, while its instrument's session,
    behind the clock, still works through ``day``: the later day's first step takes it."""
    received = parent.orders.aggregate(first=Min("received_at"))["first"]
    later = None if received is None else clock_service.trading_date_at(received)
    return later is not None and later > day


def _exchange_iso(moment: datetime) -> str:
    """A simulated time for the audit, in exchange time: what the desk's clock read then."""
    return moment.astimezone(EXCHANGE_TZ).isoformat()


def parent_resumed(parent: ParentOrder, now, close, *, end=None) -> dict:
    """Work again, its end time moved on by the time it was paused (never past the close), so
    a pause does not eat its window, or moved to ``end``; the audit detail of the change."""
    parent.status = ParentStatus.WORKING if parent.start is not None else ParentStatus.NEW
    detail = {"transition": [ParentStatus.PAUSED, parent.status]}
    if end is not None and parent.start is not None:
        detail |= {"end": _exchange_iso(end), "end_chosen": True}
        parent.end = end
    elif parent.paused_at is not None and parent.end is not None and now > parent.paused_at:
        end = min(parent.end + (now - parent.paused_at), max(close, parent.end))
        detail |= {"paused_s": (now - parent.paused_at).total_seconds(), "end": _exchange_iso(end)}
        parent.end = end
    parent.paused_at = None
    parent.paused_reason = ""
    return detail


def amendments_overtaken(*, parent_ids) -> None:
    """Pending amends of orders that ended another way first (filled, expired, cancelled with
    their parent) are closed as overtaken, with the order's end as the reason."""
    stale = list(
        Amendment.objects.filter(
            status=Amendment.Status.PENDING, order__parent__in=list(parent_ids), order__status__in=FINISHED
        ).select_related("order")
    )
    for amendment in stale:
        amendment.status = Amendment.Status.OVERTAKEN
        amendment.done_at = timezone.now()
        amendment.reason = f"the order was {amendment.order.status.lower()} before the amend applied"
        amendment.save(update_fields=["status", "done_at", "reason"])
    execution_reports_add(
        execution_report(a.order, ExecType.REPLACE_REFUSED, text=a.reason, orig_client_order_id=a.orig_client_order_id)
        for a in stale
    )
