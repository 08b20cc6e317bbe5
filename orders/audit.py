"""The audit trail's one constructor: who or what, when, why."""

from __future__ import annotations

from .models import AuditEvent, Order, ParentOrder


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
