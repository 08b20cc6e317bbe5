"""FIX 4.4 / 4.2 to and from the product's own terms. Pure Python: fields are ``(tag, value)``
pairs, so this is tested without an engine or a database.

Inbound, a NewOrderSingle becomes an intake row (the same parser as every channel then
checks it). TimeInForce (59) 7 is at the close: a market- (40=1) or limit-on-close (40=2)
order for the closing auction; 2 is at the opening, for the opening auction (taken in the
pre-open only). Algorithm and parameters: TargetStrategy (847) 1=VWAP, 2=POV
(participate), 3=IS (minimise impact), 1000=TWAP; ParticipationRate (849) is the participation cap;
EffectiveTime (168) and ExpireTime (126) the window; TargetStrategyParameters (848)
carries the rest as ``Name=value`` pairs separated by ``;``: ``Urgency`` (LOW, MEDIUM,
HIGH), ``StartTime``/``EndTime`` (exchange time HH:MM[:SS]), ``Aggressiveness`` (0-1),
``ExcludeVenues`` (codes separated by spaces).

Outbound, an execution report row becomes an ExecutionReport (35=8) in the session's
version, or an OrderCancelReject (35=9) for an amend that could not apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from routing.market.clock import EXCHANGE_TZ

SOH = "\x01"
FIX44, FIX42 = "FIX.4.4", "FIX.4.2"

SIDE_IN = {"1": "BUY", "2": "SELL"}
SIDE_OUT = {v: k for k, v in SIDE_IN.items()}
STRATEGY_IN = {"1": "VWAP", "2": "POV", "3": "IS", "1000": "TWAP"}
PARAMETER_COLUMNS = {
    "urgency": "urgency",
    "starttime": "start_time",
    "endtime": "end_time",
    "aggressiveness": "aggressiveness",
    "excludevenues": "exclude_venues",
    "maxparticipation": "max_participation",
}
EXEC_TYPE_44 = {
    "NEW": "0",
    "TRADE": "F",
    "PENDING_CANCEL": "6",
    "CANCELED": "4",
    "PENDING_REPLACE": "E",
    "REPLACED": "5",
    "REJECTED": "8",
    "EXPIRED": "C",
    "DONE_FOR_DAY": "3",
    "STATUS": "I",
}
ORD_STATUS = {
    "NEW": "A",
    "PENDING_AGGREGATION": "0",
    "WORKING": "0",
    "PARTIALLY_FILLED": "1",
    "FILLED": "2",
    "DONE_FOR_DAY": "3",
    "CANCELLED": "4",
    "REPLACED": "5",
    "PENDING_CANCEL": "6",
    "REJECTED": "8",
    "EXPIRED": "C",
    "PENDING_REPLACE": "E",
}


class Refused(ValueError):
    """A message the gateway answers with a reject; the text is for the client (tag 58)."""


def parse(raw: str) -> list[tuple[int, str]]:
    """The fields of a message as on the wire, in order (repeated tags kept)."""
    fields = []
    for part in raw.strip(SOH).split(SOH):
        tag, _, value = part.partition("=")
        fields.append((int(tag), value))
    return fields


def fix_time(moment: datetime) -> str:
    """UTCTimestamp with milliseconds."""
    return moment.astimezone(UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


def exchange_time(value: str) -> str:
    """A UTCTimestamp (168, 126) as the exchange time of day the product's windows are in."""
    for pattern in ("%Y%m%d-%H:%M:%S.%f", "%Y%m%d-%H:%M:%S"):
        try:
            moment = datetime.strptime(value, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
        return moment.astimezone(EXCHANGE_TZ).strftime("%H:%M:%S")
    raise Refused(f"{value} is not a UTCTimestamp")


def _parameters(text: str) -> dict[str, str]:
    chosen = {}
    for pair in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, value = pair.partition("=")
        column = PARAMETER_COLUMNS.get(name.strip().lower())
        if not sep or column is None:
            raise Refused(f"unknown strategy parameter {name.strip()!r} in 848; known: {', '.join(PARAMETER_COLUMNS)}")
        chosen[column] = value.strip()
    return chosen


AUCTION_TIME_IN_FORCE = {"2": "OPEN", "7": "CLOSE"}  # TimeInForce (59): at the opening, at the close


def order_terms(fields: Mapping[int, str]) -> dict:
    """A NewOrderSingle's or OrderCancelReplaceRequest's terms as intake columns (``None``:
    not given). FIX's own checks are here; the product's (instrument, lots, collar) in intake."""
    ord_type = fields.get(40, "1")
    if ord_type not in ("1", "2"):
        raise Refused("OrdType must be 1 (market) or 2 (limit)")
    auction = AUCTION_TIME_IN_FORCE.get(fields.get(59, "0"))
    if fields.get(59, "0") != "0" and auction is None:
        raise Refused("TimeInForce must be 0 (day), 2 (at the opening) or 7 (at the close)")
    if ord_type == "2" and not fields.get(44):
        raise Refused("a limit order (40=2) needs Price (44)")
    side = SIDE_IN.get(fields.get(54, ""))
    if side is None:
        raise Refused("Side must be 1 (buy) or 2 (sell)")
    terms = {
        "instrument": fields.get(55),
        "side": side,
        "quantity": fields.get(38),
        "limit_price": fields.get(44) if ord_type == "2" else None,
        "strategy": None,
        "urgency": None,
        "start_time": exchange_time(fields[168]) if 168 in fields else None,
        "end_time": exchange_time(fields[126]) if 126 in fields else None,
        "max_participation": fields.get(849),
    }
    if auction:  # market- (40=1) or limit-on-open/close (40=2): the auction is the algorithm
        if fields.get(847):
            raise Refused(f"an order at the {auction.lower()} (59={fields[59]}) takes no TargetStrategy (847)")
        terms["strategy"] = auction
    elif 847 in fields:
        terms["strategy"] = STRATEGY_IN.get(fields[847])
        if terms["strategy"] is None:
            raise Refused("TargetStrategy (847) must be 1 (VWAP), 2 (POV), 3 (IS) or 1000 (TWAP)")
    terms |= _parameters(fields.get(848, ""))
    return terms


@dataclass(frozen=True, slots=True)
class ReportView:
    """One execution report row with its order's fixed terms, as the gateway reads it."""

    exec_id: str
    exec_type: str
    order_status: str
    order_id: int
    client_order_id: str
    orig_client_order_id: str
    account: str
    symbol: str
    side: str
    order_quantity: int
    limit_price: Decimal | None
    last_quantity: int
    last_price: Decimal | None
    last_market: str
    cum_quantity: int
    leaves_quantity: int
    average_price: Decimal | None
    text: str
    at: datetime


def _price(value: Decimal | None) -> str:
    return "0" if value is None else format(value.normalize(), "f")


def execution_report(report: ReportView, *, begin_string: str, copy: bool = False) -> tuple[str, list]:
    """``(MsgType, fields)`` for the report in the session's version; OrderCancelReject (9)
    for a refused amend."""
    if report.exec_type == "REPLACE_REFUSED":
        return "9", [
            (37, str(report.order_id)),
            (11, report.client_order_id),
            (41, report.orig_client_order_id or report.client_order_id),
            (39, ORD_STATUS[report.order_status]),
            (434, "2"),  # a response to an OrderCancelReplaceRequest
            (102, "0"),  # too late
            (58, report.text or "the amend could not apply"),
        ]
    fields = [(37, str(report.order_id)), (11, report.client_order_id)]
    if report.orig_client_order_id:
        fields.append((41, report.orig_client_order_id))
    fields.append((17, report.exec_id))
    if begin_string == FIX42:
        fields.append((20, "3" if report.exec_type == "STATUS" else "0"))
        if report.exec_type == "TRADE":
            exec_type = "2" if report.order_status == "FILLED" else "1"
        elif report.exec_type == "STATUS":
            exec_type = ORD_STATUS[report.order_status]
        else:
            exec_type = EXEC_TYPE_44[report.exec_type]
    else:
        exec_type = EXEC_TYPE_44[report.exec_type]
    fields += [
        (150, exec_type),
        (39, ORD_STATUS[report.order_status]),
        (1, report.account),
        (55, report.symbol),
        (54, SIDE_OUT[report.side]),
        (38, str(report.order_quantity)),
        (40, "1" if report.limit_price is None else "2"),
    ]
    if report.limit_price is not None:
        fields.append((44, _price(report.limit_price)))
    if report.exec_type == "TRADE":
        fields += [(32, str(report.last_quantity)), (31, _price(report.last_price)), (30, report.last_market)]
    fields += [
        (151, str(report.leaves_quantity)),
        (14, str(report.cum_quantity)),
        (6, _price(report.average_price)),
        (60, fix_time(report.at)),
    ]
    if report.text:
        fields.append((58, report.text[:200]))
    if copy and begin_string == FIX44:
        fields.append((797, "Y"))  # CopyMsgIndicator: a drop copy
    return "8", fields


def order_reject(
    *, cl_ord_id: str, text: str, begin_string: str, exec_id: str, at: datetime, fields: Mapping[int, str]
) -> tuple[str, list]:
    """An ExecutionReport rejecting a NewOrderSingle the gateway could not take as an order."""
    body = [(37, "NONE"), (11, cl_ord_id), (17, exec_id)]
    if begin_string == FIX42:
        body.append((20, "0"))
    body += [(150, "8"), (39, "8"), (55, fields.get(55, "?")), (54, fields.get(54, "1"))]
    body += [(38, fields.get(38, "0")), (151, "0"), (14, "0"), (6, "0"), (60, fix_time(at)), (58, text[:200])]
    return "8", body


def cancel_reject(
    *, cl_ord_id: str, orig_cl_ord_id: str, order_id: str, replace: bool, text: str, ord_status: str
) -> tuple[str, list]:
    """OrderCancelReject (9) for a cancel (F) or replace (G) that does not apply."""
    return (
        "9",
        [
            (37, order_id),
            (11, cl_ord_id),
            (41, orig_cl_ord_id),
            (39, ord_status),
            (434, "2" if replace else "1"),
            (102, "1" if order_id == "NONE" else "0"),  # unknown order, or too late / refused
            (58, text[:200]),
        ],
    )
