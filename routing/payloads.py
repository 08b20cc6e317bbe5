"""JSON shapes of parents and fills shared by websocket snapshots, broadcasts and the API.

Prices and quantities travel as strings or integers, never binary floats.
"""

from __future__ import annotations

from decimal import Decimal

from orders.domain.values import performance_bps
from orders.models import ParentOrder
from orders.payloads import iso_time, price_text

from .market.clock import to_datetime
from .models import Fill, MarketSession

BP = Decimal("0.01")
FEE_PLACES = Decimal("0.0001")


def parent_payload(parent: ParentOrder) -> dict:
    return {
        "id": parent.pk,
        "instrument": parent.instrument.symbol,
        "price_places": parent.instrument.price_places,
        "side": parent.side,
        "strategy": parent.strategy,
        "quantity": parent.quantity,
        "filled_quantity": parent.filled_quantity,
        "average_price": price_text(parent.average_price),
        "limit_price": price_text(parent.limit_price),
        "arrival_price": price_text(parent.arrival_price),
        "status": parent.status,
        "start": iso_time(parent.start),
        "end": iso_time(parent.end),
        "finished": iso_time(parent.finished),
        "fees": str(parent.fees.quantize(FEE_PLACES)),
        "crossed_quantity": parent.crossed_quantity,
        "urgency": parent.urgency,
        "routing": parent.routing,
        "max_participation": str(parent.max_participation),
        "aggressiveness": str(parent.aggressiveness),
        "instructions": parent.instructions,
        "cancel_requested": parent.cancel_requested_at is not None,
        "revision": parent.revision,
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
        "interval_vwap": price_text(vwap),
        "performance_vs_vwap_bps": (
            None if vwap is None or average is None else str(performance_bps(parent.side, average, vwap).quantize(BP))
        ),
        "venue_quantities": parent.venue_quantities,
    }


def fill_payload(fill: Fill) -> dict:
    return {
        "id": fill.pk,
        "time": iso_time(fill.sim_time),
        "venue": fill.venue,
        "side": fill.side,
        "quantity": fill.quantity,
        "price": str(fill.price),
        "fee": str(fill.fee.quantize(FEE_PLACES)),
        "liquidity": fill.liquidity,
        "child": fill.child_id,
        "tactic": fill.child.tactic,
        "order_type": fill.child.order_type,
    }


def session_payload(session: MarketSession) -> dict:
    """A market session as supervisors see it: where its clock stands and, if it faulted, why."""
    error_lines = [line for line in session.error.strip().splitlines() if line.strip()]
    return {
        "id": session.pk,
        "instrument": session.instrument.symbol,
        "trading_date": session.trading_date.isoformat(),
        "status": session.status,
        "step_no": session.step_no,
        "sim_time": iso_time(to_datetime(session.trading_date, session.sim_time_ns)),
        "failures": session.failures,
        "error": error_lines[-1][:300] if error_lines else "",
        "faulted_at": iso_time(session.faulted_at),
    }
