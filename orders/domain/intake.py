"""Parsing and normalization of one order request from any channel. Pure Python.

Form, CSV/XLSX upload, single and bulk API all hand their rows here, so every channel
applies the same rules and reports the same reasons, per column. Strategy mandate is
derived from urgency when the row names no strategy.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal

from . import instructions
from .instructions import NONE_CHOSEN, Instructions, VenueSet, parse_instructions
from .urgency import DEFAULT_URGENCY, URGENCY_TERMS
from .values import AUCTION_STRATEGIES, PriceError, Side, Strategy, Urgency, parse_decimal, price_to_ticks

COLUMNS = (
    *("client_order_id", "instrument", "side", "quantity", "limit_price", "strategy", "urgency", "account"),
    *instructions.COLUMNS,  # optional: a trader's own execution window, cap, aggressiveness, venues to avoid
)
# A file row with more non-empty cells than the header: its values are shifted.
EXTRA_CELLS = "row"
REQUIRED_COLUMNS = ("client_order_id", "instrument", "side", "quantity", "account")
STRATEGIES = tuple(Strategy)
URGENCIES = tuple(Urgency)
MAX_QUANTITY = 100_000_000  # a sanity bound, far above any single client order
MAX_PRICE = Decimal("1000000")
CLIENT_ORDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    symbol: str
    tick_size: Decimal
    lot_size: int
    reference_price: Decimal


@dataclass(frozen=True, slots=True)
class FieldError:
    column: str
    reason: str


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A validated, normalized order, not yet accepted."""

    client_order_id: str
    account: str
    instrument: str
    side: Side
    quantity: int
    limit_price: Decimal | None
    strategy: str
    urgency: str
    instructions: Instructions = NONE_CHOSEN


# A cell longer than this is no code, id or number of an order: refused before it is echoed.
MAX_CELL_CHARS = 128
# Columns that hold one value each (exclude_venues may also be a list).
SCALAR_COLUMNS = tuple(column for column in COLUMNS if column != "exclude_venues")


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _cell_errors(row: Mapping[str, object]) -> list[FieldError]:
    """What makes a cell unreadable whatever its column: JSON's true and false, a list or an
    object where one value belongs, or a value far longer than any order field."""
    errors = []
    for column in SCALAR_COLUMNS:
        value = row.get(column)
        if isinstance(value, bool):
            errors.append(FieldError(column, "must be text or a number, not true or false"))
        elif value is not None and not isinstance(value, str | int | float | Decimal):
            errors.append(FieldError(column, "must be text or a number"))
        elif len(_text(value)) > MAX_CELL_CHARS:
            errors.append(FieldError(column, f"must be at most {MAX_CELL_CHARS} characters"))
    return errors


def parse_order_row(
    row: Mapping[str, object],
    *,
    instruments: Mapping[str, InstrumentSpec],
    accounts: Collection[str],
    venues: VenueSet,
) -> OrderRequest | list[FieldError]:
    """Validate one row; returns the normalized request or every field error found."""
    errors: list[FieldError] = []
    if row.get(EXTRA_CELLS):
        errors.append(FieldError(EXTRA_CELLS, f"has {row[EXTRA_CELLS]}; quote values that contain commas"))
    unreadable = _cell_errors(row)
    if unreadable:
        return errors + unreadable

    client_order_id = _text(row.get("client_order_id"))
    if not client_order_id:
        errors.append(FieldError("client_order_id", "is required"))
    elif not CLIENT_ORDER_ID.match(client_order_id):
        errors.append(
            FieldError("client_order_id", "must be 1-64 letters, digits or . _ : / - and start with a letter or digit")
        )

    account = _text(row.get("account"))
    if not account:
        errors.append(FieldError("account", "is required"))
    elif account not in accounts:
        errors.append(FieldError("account", f"no account {account} of yours"))

    symbol = _text(row.get("instrument")).upper()
    spec = instruments.get(symbol)
    if not symbol:
        errors.append(FieldError("instrument", "is required"))
    elif spec is None:
        errors.append(FieldError("instrument", f"unknown instrument {symbol}"))

    side_text = _text(row.get("side")).upper()
    side = Side(side_text) if side_text in Side.__members__ else None
    if side is None:
        errors.append(FieldError("side", "must be BUY or SELL" if side_text else "is required"))

    quantity = _quantity(row.get("quantity"), spec, errors)
    limit_price = _limit_price(row.get("limit_price"), spec, errors)

    urgency = _text(row.get("urgency")).upper() or DEFAULT_URGENCY.value
    if urgency not in URGENCIES:
        errors.append(FieldError("urgency", f"must be one of {', '.join(URGENCIES)}"))
    strategy = _text(row.get("strategy")).upper()
    if strategy and strategy not in STRATEGIES:
        errors.append(FieldError("strategy", f"must be one of {', '.join(STRATEGIES)}"))
    chosen = parse_instructions(row, venues=venues)
    if isinstance(chosen, list):
        errors.extend(FieldError(column, reason) for column, reason in chosen)
    elif strategy in AUCTION_STRATEGIES:  # the auction is its window
        at = "the open" if strategy == Strategy.OPEN else "the close"
        for column in ("start_time", "end_time"):
            if getattr(chosen, column) is not None:
                errors.append(FieldError(column, f"an order at {at} takes no start or end time"))

    if errors:
        return errors
    return OrderRequest(
        client_order_id=client_order_id,
        account=account,
        instrument=symbol,
        side=side,
        quantity=quantity,
        limit_price=limit_price,
        strategy=strategy or URGENCY_TERMS[Urgency(urgency)].default_strategy.value,
        urgency=urgency,
        instructions=chosen,
    )


def _quantity(raw, spec: InstrumentSpec | None, errors: list[FieldError]) -> int | None:
    if isinstance(raw, bool) or raw is None or _text(raw) == "":
        errors.append(FieldError("quantity", "is required"))
        return None
    try:
        value = parse_decimal(raw)
    except (PriceError, TypeError) as exc:
        errors.append(FieldError("quantity", str(exc)))
        return None
    if value <= 0 or value != value.to_integral_value():
        errors.append(FieldError("quantity", "must be a positive whole number of shares"))
        return None
    quantity = int(value)
    if quantity > MAX_QUANTITY:
        errors.append(FieldError("quantity", f"must be at most {MAX_QUANTITY:,}"))
    elif spec is not None and quantity % spec.lot_size:
        errors.append(FieldError("quantity", f"must be a multiple of the lot size {spec.lot_size}"))
    return quantity


def _limit_price(raw, spec: InstrumentSpec | None, errors: list[FieldError]) -> Decimal | None:
    if isinstance(raw, bool) or raw is None or _text(raw) == "":
        return None
    try:
        price = parse_decimal(raw)
        if price > MAX_PRICE:
            raise PriceError(f"must be at most {MAX_PRICE}")
        if spec is None:
            if price <= 0:
                raise PriceError(f"price must be positive, got {price}")
            return price
        return spec.tick_size * price_to_ticks(price, spec.tick_size)  # one spelling per price
    except (PriceError, TypeError) as exc:
        errors.append(FieldError("limit_price", str(exc)))
        return None
