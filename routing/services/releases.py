"""The second phase of a trader's cancel or amend: the parent gives back what its pending cancels
and replaces ask for, as far as none of it is out at a venue.

The parent never drops below its filled plus its open children: shares out at venues stay
with the order until they fill or are cancelled, and a later step releases them then. A
cancel ends the order CANCELLED with what it got; a size-down leaves it smaller in the same
parent; new terms send it back to aggregation, to join a parent that runs them.
"""

from __future__ import annotations

from django.utils import timezone

from orders.audit import audit_event, order_cancelled_event
from orders.broadcasts import orders_publish
from orders.domain.lifecycle import OrderEvent, after_replace, order_transition
from orders.models import Amendment, AuditEvent, Order, OrderStatus, ParentOrder
from orders.reports import ExecType, execution_report, execution_reports_add

from .parents import ENGINE

PENDING = (OrderStatus.PENDING_CANCEL, OrderStatus.PENDING_REPLACE)


def pending_releases(parent: ParentOrder, *, open_children: int, actor: str = ENGINE) -> int:
    """Release what the parent's pending cancels and replaces ask for; what they still withhold.

    Inside the caller's transaction, with the parent locked. The engine works for the parent's
    quantity less the withheld shares, so it cancels the children only those shares needed.
    """
    pending = list(
        parent.orders.select_for_update(of=("self",))
        .filter(status__in=PENDING)
        .select_related("account", "instrument")
        .order_by("id")
    )
    amendments = {
        a.order_id: a
        for a in Amendment.objects.select_for_update().filter(
            order__in=[o.pk for o in pending], status=Amendment.Status.PENDING
        )
    }
    releasable = max(0, parent.quantity - parent.filled_quantity - open_children)
    changed, audit, reports, withheld = [], [], [], 0
    for order in pending:
        amendment = amendments.get(order.pk)
        if order.status == OrderStatus.PENDING_CANCEL:
            give = min(order.remaining_quantity, releasable)
            order.cancelled_quantity += give
        else:
            keep = 0 if amendment.kind == Amendment.Kind.MOVE else max(0, amendment.quantity - order.filled_quantity)
            give = min(order.remaining_quantity - keep, releasable)
            order.quantity -= give
        releasable -= give
        parent.quantity -= give
        if give:
            audit.append(audit_event("parent.reduced", actor, parent=parent, order=order, quantity=give))
            changed.append(order)
        if order.status == OrderStatus.PENDING_CANCEL:
            still_out = order.remaining_quantity
            if not still_out:
                audit.append(_cancelled(order, parent, actor))
                reports.append(execution_report(order, ExecType.CANCELED, text=audit[-1].detail["reason"]))
                changed.append(order)
        else:
            still_out = order.remaining_quantity - keep
            if not still_out:
                audit.append(_replaced(order, amendment, parent, actor))
                reports.append(_replace_report(order, amendment))
                changed.append(order)
        withheld += still_out
    if changed:
        changed = list({o.pk: o for o in changed}.values())
        fields = ["status", "quantity", "cancelled_quantity", "client_order_id", "parent", "limit_price", "strategy"]
        Order.objects.bulk_save(changed, [*fields, "urgency", "instructions"])
        parent.save(update_fields=["quantity", "updated_at"])
        AuditEvent.objects.bulk_create(audit)
        execution_reports_add(reports)
        orders_publish(changed)
    return withheld


def _replace_report(order: Order, amendment: Amendment) -> tuple:
    if amendment.status == Amendment.Status.OVERTAKEN:
        return execution_report(order, ExecType.REPLACE_REFUSED, text=amendment.reason)
    orig = amendment.orig_client_order_id
    return execution_report(order, ExecType.REPLACED, orig_client_order_id=orig)


def _cancelled(order: Order, parent: ParentOrder, actor: str) -> AuditEvent:
    was = order.status
    order.status = order_transition(order.status, OrderEvent.CANCELLED)
    return order_cancelled_event(order, actor, parent=parent, was=was)


def _replaced(order: Order, amendment: Amendment, parent: ParentOrder, actor: str) -> AuditEvent:
    """Nothing of the order is out beyond what the amend keeps: apply it (or say it was overtaken)."""
    was, now = order.status, timezone.now()
    amendment.done_at = now
    if order.filled_quantity >= amendment.quantity:  # fills that crossed the amend took it past the new size
        order.quantity = order.filled_quantity
        order.status = order_transition(was, OrderEvent.FILLED)
        amendment.status = Amendment.Status.OVERTAKEN
        amendment.reason = f"{order.filled_quantity:,} filled before the amend to {amendment.quantity:,} applied"
        amendment.save(update_fields=["status", "done_at", "reason"])
        return audit_event(
            "order.replace_overtaken",
            actor,
            order=order,
            parent=parent,
            reason=amendment.reason,
            transition=[was, order.status],
        )
    moved = amendment.kind == Amendment.Kind.MOVE
    order.client_order_id = amendment.client_order_id
    for field, value in amendment.new_terms.items():
        setattr(order, field, value)
    if moved:
        order.status = order_transition(was, OrderEvent.REQUEUED)
        order.parent = None
    else:
        order.status = after_replace(was, filled=order.filled_quantity)
    amendment.status = Amendment.Status.APPLIED
    amendment.save(update_fields=["status", "done_at"])
    return audit_event(
        "order.replaced",
        actor,
        order=order,
        parent=parent,
        client_order_id=amendment.client_order_id,
        orig_client_order_id=amendment.orig_client_order_id,
        quantity=order.quantity,
        filled=order.filled_quantity,
        moved=moved,
        transition=[was, order.status],
        reason="new terms: it joins a parent that runs them" if moved else "size-down applied",
    )
