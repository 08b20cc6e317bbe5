"""JSON shapes of orders and uploads shared by websocket snapshots and broadcasts.

Prices and quantities travel as strings or integers, never binary floats.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings

from .domain.values import quantize_price
from .models import ORDER_WORKING_STATUSES, Order, ParentOrder, ParentStatus


def price_text(value: Decimal | None) -> str | None:
    return None if value is None else str(quantize_price(value))


def iso_time(value) -> str | None:
    """Exchange-local ISO time: simulated and wall times read the same on every page."""
    return value.astimezone(_local_zone()).isoformat() if value else None


@cache
def _local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)  # the exchange's zone; nothing activates another


def order_payloads(orders) -> list[dict]:
    """Payloads of many orders, each in a paused parent saying why it is held (one query)."""
    orders = list(orders)
    parent_ids = {o.parent_id for o in orders if o.parent_id is not None and o.status in ORDER_WORKING_STATUSES}
    paused = dict(
        ParentOrder.objects.filter(pk__in=parent_ids, status=ParentStatus.PAUSED).values_list("pk", "paused_reason")
    )
    return [
        order_payload(o, held=paused.get(o.parent_id) if o.status in ORDER_WORKING_STATUSES else None) for o in orders
    ]


def order_payload(order: Order, *, held: str | None = None) -> dict:
    """``held``: why its parent is paused ("" when it does not say), None while it works."""
    return {
        "id": order.pk,
        "client_order_id": order.client_order_id,
        "account": order.account.code,
        "instrument": order.instrument.symbol,
        "price_places": order.instrument.price_places,
        "side": order.side,
        "quantity": order.quantity,
        "limit_price": price_text(order.limit_price),
        "strategy": order.strategy,
        "status": order.status,
        "reject_reason": order.reject_reason,
        "filled_quantity": order.filled_quantity,
        "cancelled_quantity": order.cancelled_quantity,
        "leaves_quantity": order.remaining_quantity,
        "average_price": price_text(order.average_price),
        "parent": order.parent_id,
        "received_at": iso_time(order.received_at),
        "revision": order.revision,
        "held": None if held is None else held or "paused",
    }


def upload_payload(upload) -> dict:
    return {
        "id": upload.pk,
        "file_name": upload.file_name,
        "mode": upload.mode,
        "status": upload.status,
        "total_rows": upload.total_rows,
        "validated_rows": upload.validated_rows,
        "created_rows": upload.created_rows,
        "accepted": upload.accepted,
        "duplicates": upload.duplicates,
        "rejected": upload.rejected,
        "error_rows": upload.error_rows,
        "message": upload.message,
        "finished": upload.is_finished,
    }
