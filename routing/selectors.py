"""Reads for the execution panels."""

from __future__ import annotations

from decimal import Decimal

from orders.domain.values import quantize_price
from orders.models import ParentOrder
from orders.payloads import iso_time

from .models import Fill, MarketBar


def parent_market_bars(parent: ParentOrder):
    """The market's bars over the parent's life so far."""
    if parent.start is None:
        return MarketBar.objects.none()
    return MarketBar.objects.filter(
        session__instrument_id=parent.instrument_id, start__gte=parent.start, end__lte=parent.end
    ).order_by("start")


def parent_panel_series(parent: ParentOrder) -> dict:
    """Executed-so-far and market series for the parent panel's charts."""
    executed = []
    cumulative = 0
    for fill in Fill.objects.filter(parent=parent).order_by("id").only("quantity", "sim_time"):
        cumulative += fill.quantity
        executed.append({"time": iso_time(fill.sim_time), "filled": cumulative})
    market = []
    volume, notional = 0, Decimal(0)
    for bar in parent_market_bars(parent):
        volume += bar.volume
        notional += bar.notional
        mid = (bar.bid + bar.ask) / 2 if bar.bid is not None and bar.ask is not None else None
        market.append(
            {
                "time": iso_time(bar.end),
                "mid": None if mid is None else str(mid),
                "vwap": str(quantize_price(notional / volume)) if volume else None,
            }
        )
    return {"executed": executed, "market": market}


def parent_recent_fills(parent: ParentOrder, limit: int = 200):
    return list(Fill.objects.filter(parent=parent).order_by("-id")[:limit])
