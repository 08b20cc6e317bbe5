"""A parent's lifecycle: started by its session, closed when done, shrunk when a trader cancels an order."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from orders.audit import audit_event
from orders.broadcasts import orders_publish
from orders.domain.values import half_ticks_to_price
from orders.locks import order_lock
from orders.models import (
    ORDER_WORKING_STATUSES,
    PARENT_LIVE_STATUSES,
    AuditEvent,
    Order,
    OrderStatus,
    ParentOrder,
    ParentStatus,
)
from smarttrading import streams

from ..locks import parent_lock
from ..market.clock import to_datetime
from ..market.simulator import MarketSimulator
from ..models import MarketSession
from ..payloads import parent_payload
from ..selectors import parent_reconciliation, parent_venue_breakdown
from .sessions import market_now_lock

ENGINE = "engine"


def parent_start(parent: ParentOrder, simulator: MarketSimulator, now, session: MarketSession) -> None:
    tick = parent.instrument.tick_size
    mid2 = simulator.mid_ticks_x2()
    parent.status = ParentStatus.WORKING
    parent.session = session
    parent.start = now
    parent.end = min(now + timedelta(seconds=parent.duration_s), to_datetime(session.trading_date, simulator.close_ns))
    parent.arrival_price = half_ticks_to_price(mid2, tick)
    parent.save(update_fields=["status", "session", "start", "end", "arrival_price", "updated_at"])
    AuditEvent.objects.create(
        kind="parent.started",
        actor=ENGINE,
        parent=parent,
        sim_time=now,
        detail={"arrival_price": str(parent.arrival_price), "end": parent.end.isoformat()},
    )


def parent_finish(parent: ParentOrder, status: ParentStatus, reason: str, now) -> None:
    """Close the parent and record its reconciliation: fills, children, allocations, venues."""
    parent_close(parent=parent, status=status, actor=ENGINE, reason=reason, finished=now)
    AuditEvent.objects.create(
        kind="parent.reconciled",
        actor=ENGINE,
        parent=parent,
        sim_time=now,
        detail={**parent_reconciliation(parent), "venues": parent_venue_breakdown(parent)},
    )


def parent_close(*, parent: ParentOrder, status: ParentStatus, actor: str, reason: str, finished=None) -> None:
    """End a parent; what was not filled goes back to its orders. Inside the caller's transaction.

    ``finished`` is the simulated time its execution ended, when it ran in the market.
    """
    parent.status = status
    parent.finished = finished
    parent.save(update_fields=["status", "finished", "updated_at"])
    audit = [
        audit_event(f"parent.{status.lower()}", actor, parent=parent, reason=reason, filled=parent.filled_quantity)
    ]
    open_orders = list(
        parent.orders.filter(status__in=ORDER_WORKING_STATUSES).select_related(
            "account", "instrument"
        )
    )
    order_status = OrderStatus.EXPIRED if status == ParentStatus.EXPIRED else OrderStatus.CANCELLED
    for order in open_orders:
        order.status = order_status
        audit.append(
            audit_event(
                f"order.{order_status.lower()}",
                actor,
                order=order,
                parent=parent,
                unfilled=order.remaining_quantity,
                reason=reason,
            )
        )
    Order.objects.bulk_update(open_orders, ["status", "updated_at"])
    AuditEvent.objects.bulk_create(audit)
    orders_publish(open_orders)


@transaction.atomic
def order_cancel(*, order_id: int, cancelled_by) -> Order:
    """A trader withdraws an order's unfilled remainder.

    A pending order simply ends; an order already in a working parent shrinks the parent,
    which the next execution step sees (locks: session, parent, order, as a step does).
    """

    order = Order.objects.select_related("instrument", "account").get(pk=order_id)
    if order.account.owner_id != cancelled_by.pk:
        raise ValidationError({"order": "not your order"})
    if order.parent_id is not None:
        market_now_lock(instruments=[order.instrument])
        parent = parent_lock(order.parent_id)
    else:
        parent = None
    order = order_lock(order_id)
    cancellable = (OrderStatus.PENDING_AGGREGATION, *ORDER_WORKING_STATUSES)
    if order.status not in cancellable or (parent is not None and parent.status not in PARENT_LIVE_STATUSES):
        raise ValidationError({"status": f"a {order.status} order cannot be cancelled"})
    unfilled = order.remaining_quantity
    actor = f"user:{cancelled_by.username}"
    audit = [
        audit_event(
            "order.cancelled", actor, order=order, parent=parent, unfilled=unfilled, reason="cancelled by trader"
        )
    ]
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    if parent is not None:
        parent.quantity -= unfilled
        parent.save(update_fields=["quantity", "updated_at"])
        audit.append(audit_event("parent.reduced", actor, parent=parent, order=order, quantity=unfilled))
        streams.publish_on_commit(streams.EXECUTION_GROUP, {"type": "parent", "parents": [parent_payload(parent)]})
    AuditEvent.objects.bulk_create(audit)
    if parent is not None and parent.quantity == parent.filled_quantity:
        parent_close(parent=parent, status=ParentStatus.FILLED, actor=actor, reason="remaining orders complete")
    orders_publish([order])
    return order
