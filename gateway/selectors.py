"""Reads for supervisors: the FIX sessions as the gateway last saw them, and the messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from orders.models import Amendment, AuditEvent, Order

from .models import FixMessage, FixSession

MESSAGE_NAMES = {
    "D": "new_order_single",
    "F": "order_cancel_request",
    "G": "order_cancel_replace_request",
    "H": "order_status_request",
    "8": "execution_report",
    "9": "order_cancel_reject",
    "j": "business_message_reject",
}


def fix_sessions() -> QuerySet[FixSession]:
    """Every session, with today's application messages in and out."""
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time(0)))
    today = Q(messages__at__gte=midnight)
    return FixSession.objects.select_related("trader").annotate(
        messages_in=Count("messages", filter=today & Q(messages__direction=FixMessage.Direction.IN)),
        messages_out=Count("messages", filter=today & Q(messages__direction=FixMessage.Direction.OUT)),
    )


def fix_messages(*, cl_ord_id: str = "", order_id: int | None = None, limit: int = 200) -> QuerySet[FixMessage]:
    """The latest messages, or those of one ClOrdID (its amends' too) or one order."""
    messages = FixMessage.objects.select_related("session").order_by("-id")
    if order_id is not None:
        messages = messages.filter(order_id=order_id)
    if cl_ord_id:  # the order that had this id at any time: its amends name the ids before and after
        amended = Amendment.objects.filter(Q(client_order_id=cl_ord_id) | Q(orig_client_order_id=cl_ord_id))
        orders = Order.objects.filter(Q(client_order_id=cl_ord_id) | Q(pk__in=amended.values("order")))
        messages = messages.filter(Q(cl_ord_id=cl_ord_id) | Q(order__in=orders.values("pk")))
    return messages[:limit]


@dataclass(frozen=True)
class OrderAuditEntry:
    """One line of an order's story: an audit event, or a FIX message that made or changed it."""

    at: datetime
    kind: str
    actor: str
    detail: dict


def order_audit(order: Order) -> list[OrderAuditEntry]:
    """The order's audit events and its FIX messages (in and out), in the order they happened."""
    entries = [
        OrderAuditEntry(e.at, e.kind, e.actor, e.detail) for e in AuditEvent.objects.filter(order=order).order_by("id")
    ]
    for m in FixMessage.objects.filter(order=order).select_related("session").order_by("id"):
        kind = f"fix.{m.direction.lower()}.{MESSAGE_NAMES.get(m.msg_type, m.msg_type)}"
        detail = {"msg_type": m.msg_type, "seq_num": m.seq_num or None, "cl_ord_id": m.cl_ord_id, "raw": m.raw}
        entries.append(OrderAuditEntry(m.at, kind, f"fix:{m.session.name}", detail))
    return sorted(entries, key=lambda entry: entry.at)
