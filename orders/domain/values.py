"""Value types shared by the pure core: sides, ticks, lots, and the performance sign. No Django import."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import StrEnum


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell: the direction of the position change."""
        return 1 if self is Side.BUY else -1

    @classmethod
    def of_sign(cls, sign: int) -> Side:
        """The side of the simulator's +1 / -1."""
        return cls.BUY if sign > 0 else cls.SELL


class Strategy(StrEnum):
    TWAP = "TWAP"
    VWAP = "VWAP"
    POV = "POV"
    IS = "IS"
    OPEN = "OPEN"  # everything in the opening auction: market-on-open, or limit-on-open with a limit
    CLOSE = "CLOSE"  # everything in the closing auction: market-on-close, or limit-on-close with a limit


# Strategies whose window is an auction: no start or end time, never crossed internally
AUCTION_STRATEGIES = frozenset({Strategy.OPEN, Strategy.CLOSE})


class Urgency(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


BPS = Decimal(10_000)


def side_sign(side: str) -> int:
    """+1 for a buy, -1 for a sell; accepts ``"BUY"``, ``"SELL"`` or an enum of them."""
    normalized = str(getattr(side, "value", side)).upper()
    if normalized == "BUY":
        return 1
    if normalized == "SELL":
        return -1
    raise ValueError(f"side must be BUY or SELL, got {side!r}")


def performance_bps(side: str, price: Decimal, benchmark: Decimal) -> Decimal:
    """Performance against ``benchmark`` in bps; positive = better than the benchmark (design.md §6).

    Here, below every app, because the live panels and TCA must agree on the sign.
    """
    if benchmark <= 0:
        raise ValueError("benchmark must be positive")
    return side_sign(side) * (benchmark - price) / benchmark * BPS


class PriceError(ValueError):
    """A price that is not a finite positive multiple of the tick."""


# Bounds checked before any arithmetic: "1e1000000" is nine characters, and turning it into
# an int, or dividing it by a tick, takes seconds to hours (the work grows with the digits).
MAX_NUMBER_CHARS = 40
MAX_MAGNITUDE = 18  # digits before the point
MAX_PLACES = 12  # digits after it


def parse_decimal(text: str | int | Decimal) -> Decimal:
    """Parse a number from its text without ever passing through a binary float, refusing
    any number too long or too large to be a price or a quantity before computing with it."""
    if isinstance(text, float):
        raise TypeError("binary floats are not accepted for prices or quantities")
    text = str(text).strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise PriceError(f"not a number of at most {MAX_NUMBER_CHARS} characters")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise PriceError(f"not a number: {text!r}") from exc
    if not value.is_finite():
        raise PriceError(f"not a finite number: {text!r}")
    if value and value.adjusted() >= MAX_MAGNITUDE:
        raise PriceError(f"out of range: {text!r}")
    if value.as_tuple().exponent < -MAX_PLACES:
        raise PriceError(f"more than {MAX_PLACES} decimal places: {text!r}")
    return value


def price_to_ticks(price: Decimal, tick_size: Decimal) -> int:
    """Exact conversion; a price off the tick grid is an error, never rounded silently."""
    if price <= 0:
        raise PriceError(f"price must be positive, got {price}")
    ticks, remainder = divmod(price, tick_size)
    if remainder != 0:
        raise PriceError(f"price {price} is not a multiple of the tick {tick_size}")
    return int(ticks)


def ticks_to_price(ticks: int | None, tick_size: Decimal) -> Decimal | None:
    """Exact; None (an empty side of the book) stays None."""
    return None if ticks is None else tick_size * ticks


def half_ticks_to_price(half_ticks: int | None, tick_size: Decimal) -> Decimal | None:
    """Gateway and tape prices are in half ticks, so that a dark midpoint cross is exact."""
    return None if half_ticks is None else tick_size * half_ticks / 2


def average_price(notional: Decimal, quantity: int) -> Decimal | None:
    """Notional over quantity: every VWAP and average fill price; None when nothing traded."""
    return notional / quantity if quantity else None


def quantize_price(value: Decimal, places: int = 6) -> Decimal:
    """Display form of a derived price such as an average (not an order price)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
