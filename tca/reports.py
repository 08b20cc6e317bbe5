"""TCA per parent: average price against arrival and interval VWAP, from stored fills and bars."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from orders.models import ParentOrder
from routing.selectors import parent_market_bars

from .metrics import performance_bps


@dataclass(frozen=True)
class ParentTca:
    parent: ParentOrder
    average_price: Decimal | None
    arrival_price: Decimal | None
    interval_vwap: Decimal | None
    vs_arrival_bps: Decimal | None
    vs_interval_vwap_bps: Decimal | None
    market_volume: int
    participation: Decimal | None


def parent_tca(parent: ParentOrder) -> ParentTca:
    bars = parent_market_bars(parent).aggregate(volume=Sum("volume"), notional=Sum("notional"))
    volume = bars["volume"] or 0
    interval_vwap = bars["notional"] / volume if volume else None
    average = parent.average_price

    def perf(benchmark):
        if average is None or benchmark is None:
            return None
        return performance_bps(parent.side, average, benchmark).quantize(Decimal("0.01"))

    return ParentTca(
        parent=parent,
        average_price=average,
        arrival_price=parent.arrival_price,
        interval_vwap=interval_vwap,
        vs_arrival_bps=perf(parent.arrival_price),
        vs_interval_vwap_bps=perf(interval_vwap),
        market_volume=volume,
        participation=(Decimal(parent.filled_quantity) / volume).quantize(Decimal("0.0001")) if volume else None,
    )
