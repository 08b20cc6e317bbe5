"""JSON shapes of orders and parents shared by websocket snapshots and broadcasts.

Prices and quantities travel as strings or integers, never binary floats.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings

from tca.metrics import performance_bps

from .domain.values import quantize_price
from .models import Order, ParentOrder

BP = Decimal("0.01")


def _price(value: Decimal | None) -> str | None:
    return None if value is None else str(quantize_price(value))


def iso_time(value) -> str | None:
    """Exchange-local ISO time: simulated and wall times read the same on every page."""
    return value.astimezone(_local_zone()).isoformat() if value else None


@cache
def _local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)  # the exchange's zone; nothing activates another


def parent_payload(parent: ParentOrder) -> dict:
    return {
        "id": parent.pk,
        "instrument": parent.instrument.symbol,
        "price_places": parent.instrument.price_places,
        "side": parent.side,
        "strategy": parent.strategy,
        "quantity": parent.quantity,
        "filled_quantity": parent.filled_quantity,
        "average_price": _price(parent.average_price),
        "limit_price": _price(parent.limit_price),
        "arrival_price": _price(parent.arrival_price),
        "status": parent.status,
        "start": iso_time(parent.start),
        "end": iso_time(parent.end),
        "finished": iso_time(parent.finished),
        "fees": str(parent.fees.quantize(Decimal("0.0001"))),
        "crossed_quantity": parent.crossed_quantity,
        "urgency": parent.urgency,
        "routing": parent.routing,
        "max_participation": str(parent.max_participation),
        "aggressiveness": str(parent.aggressiveness),
        "cancel_requested": parent.cancel_requested_at is not None,
        **_live_figures(parent),
    }


def _live_figures(parent: ParentOrder) -> dict:
    """Where the parent stands against its schedule and the market, as of its last step."""
    vwap, average = parent.interval_vwap, parent.market_average_price
    market_filled = parent.market_filled_quantity
    return {
        "market_quantity": parent.market_quantity,
        "market_filled_quantity": market_filled,
        "schedule_due": parent.crossed_quantity + parent.schedule_due,  # comparable with filled_quantity
        "market_volume": parent.market_volume,
        "participation": f"{market_filled / parent.market_volume:.4f}" if parent.market_volume else None,
        "interval_vwap": _price(vwap),
        "performance_vs_vwap_bps": (
            None if vwap is None or average is None else str(performance_bps(parent.side, average, vwap).quantize(BP))
        ),
        "venue_quantities": parent.venue_quantities,
    }


def order_payload(order: Order) -> dict:
    return {
        "id": order.pk,
        "client_order_id": order.client_order_id,
        "account": order.account.code,
        "instrument": order.instrument.symbol,
        "price_places": order.instrument.price_places,
        "side": order.side,
        "quantity": order.quantity,
        "limit_price": _price(order.limit_price),
        "strategy": order.strategy,
        "status": order.status,
        "reject_reason": order.reject_reason,
        "filled_quantity": order.filled_quantity,
        "average_price": _price(order.average_price),
        "parent": order.parent_id,
        "received_at": iso_time(order.received_at),
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
