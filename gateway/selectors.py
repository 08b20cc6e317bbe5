"""Reads for supervisors: the FIX sessions as the gateway last saw them, and the messages."""

from __future__ import annotations

from datetime import datetime, time

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from orders.models import Amendment, Order

from .models import FixMessage, FixSession


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
