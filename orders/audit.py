"""The audit trail's one constructor: who or what, when, why."""

from __future__ import annotations

from .models import AuditEvent, Order, ParentOrder

ENGINE = "engine"  # the actor of what the execution engine does on its own


def audit_event(
    kind: str,
    actor: str,
    *,
    order: Order | None = None,
    parent: ParentOrder | None = None,
    sim_time=None,
    **detail,
) -> AuditEvent:
    return AuditEvent(kind=kind, actor=actor, order=order, parent=parent, sim_time=sim_time, detail=detail)


def order_cancelled_event(order: Order, actor: str, *, parent: ParentOrder, was: str) -> AuditEvent:
    """The end of a two-phase cancel, whichever step ends it: the release that gives the last
    shares back, or the fill of the last shares that were out at a venue."""
    return audit_event(
        "order.cancelled",
        actor,
        order=order,
        parent=parent,
        cancelled=order.cancelled_quantity,
        filled=order.filled_quantity,
        transition=[was, order.status],
        reason=f"cancelled {order.cancelled_quantity:,} of {order.quantity:,}; {order.filled_quantity:,} filled",
    )
