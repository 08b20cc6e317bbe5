"""A trader's cancel, in two phases: an order in a parent becomes PENDING_CANCEL, and each step
gives up what the parent does not have out at a venue (``releases``), until nothing of it is left."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orders.audit import audit_event
from orders.broadcasts import orders_publish
from orders.domain.lifecycle import OrderEvent, TransitionRefused, order_transition
from orders.locks import order_lock
from orders.models import PARENT_LIVE_STATUSES, Order
from orders.reports import ExecType, execution_report, execution_reports_add

from ..locks import parent_lock
from .releases import pending_releases
from .sessions import market_now_lock, session_wake


class _Raced(Exception):
    """An aggregation window took the order into a parent between our read and our lock."""


def order_cancel(*, order_id: int, cancelled_by, cancel_client_order_id: str = "") -> Order:
    """A trader cancels an order's unfilled rest.

    An order waiting for aggregation simply ends. One in a parent becomes PENDING_CANCEL:
    the parent's next step gives up what is not out at a venue and cancels the children it
    no longer needs; shares that fill meanwhile still go to the order, which ends CANCELLED
    with what it got. Refused, with the reason, when the order has nothing left to cancel.
    ``cancel_client_order_id``: a FIX cancel request's own ClOrdID, which its reports carry.
    """
    for _ in range(3):
        try:
            return _order_cancel(
                order_id=order_id, cancelled_by=cancelled_by, cancel_client_order_id=cancel_client_order_id
            )
        except _Raced:
            continue
    raise ValidationError({"order": "the order keeps changing; try again"})


@transaction.atomic
def _order_cancel(*, order_id: int, cancelled_by, cancel_client_order_id: str) -> Order:
    seen = Order.objects.select_related("instrument", "account").get(pk=order_id)
    if seen.account.owner_id != cancelled_by.pk:
        raise ValidationError({"order": "not your order"})
    actor = f"user:{cancelled_by.username}"
    if seen.parent_id is None:  # a pending order is first in the lock order: lock it alone
        order = order_lock(order_id)
        if order.parent_id is not None:
            raise _Raced
        order.cancel_client_order_id = cancel_client_order_id
        return _order_cancel_pending(order, actor)
    market_now_lock(instruments=[seen.instrument])  # session, parent, order: as a step takes them
    parent = parent_lock(seen.parent_id)
    order = order_lock(order_id)
    was = order.status
    try:
        order.status = order_transition(order.status, OrderEvent.CANCEL_REQUESTED)
    except TransitionRefused as refused:
        raise ValidationError({"status": str(refused)}) from refused
    if parent.status not in PARENT_LIVE_STATUSES:
        raise ValidationError({"status": f"its parent is {parent.status.lower()}: nothing is left to cancel"})
    order.cancel_requested_at = timezone.now()
    order.cancel_client_order_id = cancel_client_order_id
    order.save(update_fields=["status", "cancel_requested_at", "cancel_client_order_id", "updated_at"])
    execution_reports_add([execution_report(order, ExecType.PENDING_CANCEL)])
    audit_event(
        "order.cancel_requested",
        actor,
        order=order,
        parent=parent,
        unfilled=order.remaining_quantity,
        transition=[was, order.status],
        reason="cancelled by trader",
    ).save()
    if parent.start is None:  # never at a venue: nothing is out, so the cancel completes now
        pending_releases(parent, open_children=0, actor=actor)
    else:
        session_wake(instrument=parent.instrument)
    orders_publish([Order.objects.select_related("account", "instrument").get(pk=order.pk)])
    return order


def _order_cancel_pending(order: Order, actor: str) -> Order:
    was = order.status
    try:
        order.status = order_transition(order.status, OrderEvent.CANCELLED)
    except TransitionRefused as refused:
        raise ValidationError({"status": str(refused)}) from refused
    unfilled = order.remaining_quantity
    order.cancelled_quantity += unfilled
    order.cancel_requested_at = timezone.now()
    order.save(
        update_fields=["status", "cancelled_quantity", "cancel_requested_at", "cancel_client_order_id", "updated_at"]
    )
    execution_reports_add([execution_report(order, ExecType.CANCELED, text="cancelled by trader")])
    transition = [was, order.status]
    audit_event(
        "order.cancelled", actor, order=order, unfilled=unfilled, transition=transition, reason="cancelled by trader"
    ).save()
    orders_publish([order])
    return order
