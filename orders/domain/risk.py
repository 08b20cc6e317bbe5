"""Pre-trade risk checks: what every order from every channel passes before acceptance. Pure Python.

An order that fails a check is kept as REJECTED with the check's name and a reason the
trader can act on. The checks fail closed: a missing or non-finite reference price, or
a price that is not a finite number, rejects the order rather than letting it through
unmeasured. ``RiskUsage`` carries an account's running totals through a batch, so the
hundredth order of an upload sees the ninety-nine before it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from .intake import InstrumentSpec, OrderRequest


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """One account's limits; None switches a check off."""

    max_order_quantity: int | None
    max_order_notional: Decimal | None
    collar_pct: Decimal | None  # how far a limit may stray from the reference price, in percent
    daily_gross_notional: Decimal | None  # the account's credit limit: notional sent today, buys plus sells
    max_orders_per_minute: int | None
    restricted_instruments: Collection[str] = ()


@dataclass(slots=True)
class RiskUsage:
    """An account's usage before the order at hand: accepted orders only."""

    gross_notional_today: Decimal
    orders_last_minute: int


@dataclass(frozen=True, slots=True)
class RiskBreach:
    check: str  # a stable name, for audit queries and the API
    reason: str


def _finite_positive(value: Decimal | None) -> bool:
    return value is not None and value.is_finite() and value > 0


def order_notional(request: OrderRequest, reference_price: Decimal) -> Decimal:
    """What the order could cost: at its limit, or at the reference price when it has none."""
    price = request.limit_price if request.limit_price is not None else reference_price
    return price * request.quantity


def risk_check(
    request: OrderRequest, spec: InstrumentSpec, limits: RiskLimits, usage: RiskUsage
) -> tuple[RiskBreach | None, Decimal]:
    """The first check the order fails (or None) and the notional it counts against the limits.

    On acceptance the caller adds the notional and one order to ``usage``.
    """
    if request.instrument in limits.restricted_instruments:
        return RiskBreach(
            "restricted_instrument", f"{request.instrument} is on this account's restricted list"
        ), Decimal(0)
    reference = spec.reference_price
    if not _finite_positive(reference):
        return RiskBreach(
            "reference_price", f"no valid reference price for {request.instrument}: orders are refused until it has one"
        ), Decimal(0)
    if request.limit_price is not None and not _finite_positive(request.limit_price):
        return RiskBreach("limit_price", f"limit {request.limit_price} is not a finite positive price"), Decimal(0)
    notional = order_notional(request, reference)
    if limits.max_order_quantity is not None and request.quantity > limits.max_order_quantity:
        return RiskBreach(
            "max_order_quantity",
            f"quantity {request.quantity:,} exceeds the account's maximum of {limits.max_order_quantity:,}",
        ), notional
    if limits.max_order_notional is not None and notional > limits.max_order_notional:
        return RiskBreach(
            "max_order_notional",
            f"notional {notional:,.2f} exceeds the account's maximum per order of {limits.max_order_notional:,.2f}",
        ), notional
    if limits.collar_pct is not None and limits.collar_pct > 0 and request.limit_price is not None:
        collar = limits.collar_pct / 100
        if not reference * (1 - collar) <= request.limit_price <= reference * (1 + collar):
            return RiskBreach(
                "price_collar",
                f"limit {request.limit_price} is outside the {limits.collar_pct.normalize():f}% price collar "
                f"around the reference {reference}",
            ), notional
    if limits.max_orders_per_minute is not None and usage.orders_last_minute >= limits.max_orders_per_minute:
        return RiskBreach(
            "order_rate",
            f"the account sent {limits.max_orders_per_minute:,} orders in the last minute: try again shortly",
        ), notional
    if limits.daily_gross_notional is not None and usage.gross_notional_today + notional > limits.daily_gross_notional:
        left = max(limits.daily_gross_notional - usage.gross_notional_today, Decimal(0))
        return RiskBreach(
            "daily_gross_notional",
            f"notional {notional:,.2f} exceeds what is left of the account's daily limit "
            f"({left:,.2f} of {limits.daily_gross_notional:,.2f})",
        ), notional
    return None, notional
