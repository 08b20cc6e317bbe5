"""A child order's life as the engine knows it from the venue's reports, its statuses as a
table, and the sizes children are cut in. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass

from ..market.messages import ACCEPTED, CANCELED, FILLED, REJECTED, REPLACED

# Child statuses, as we know them from reports
SENT = "SENT"
LIVE = "LIVE"
DONE_FILLED = "FILLED"
DONE_CANCELED = "CANCELLED"
DONE_REJECTED = "REJECTED"
DONE = frozenset({DONE_FILLED, DONE_CANCELED, DONE_REJECTED})

# What a report means for a child: its kind, refined where the status or the fill decides.
ACKNOWLEDGED = "acknowledged"
PARTLY_FILLED = "partly_filled"
FULLY_FILLED = "fully_filled"
CANCELLED = "cancelled"
REFUSED = "refused"  # the venue refused the order, or a replace of it
AMENDED = "amended"

# (status, what the report means) -> (status after, audit event), for every status a child
# can still change in. A finished child takes no report: a "too late to cancel" after its
# last fill changes nothing.
TRANSITIONS = {
    (SENT, ACKNOWLEDGED): (LIVE, None),
    (SENT, AMENDED): (SENT, "child.replaced"),
    (SENT, PARTLY_FILLED): (SENT, "child.filled"),
    (SENT, FULLY_FILLED): (DONE_FILLED, "child.filled"),
    (SENT, CANCELLED): (DONE_CANCELED, "child.cancelled"),
    (SENT, REFUSED): (DONE_REJECTED, "child.rejected"),
    (LIVE, ACKNOWLEDGED): (LIVE, None),
    (LIVE, PARTLY_FILLED): (LIVE, "child.filled"),
    (LIVE, FULLY_FILLED): (DONE_FILLED, "child.filled"),
    (LIVE, CANCELLED): (DONE_CANCELED, "child.cancelled"),
    (LIVE, REFUSED): (LIVE, "child.replace_rejected"),  # a refused replace: the order stands as it was
    (LIVE, AMENDED): (LIVE, "child.replaced"),
}
ROUND_LOT = 100  # passive and dark slices are at least this, unless less is left to do


def report_meaning(kind: str, leaves: int) -> str:
    if kind == FILLED:
        return FULLY_FILLED if leaves == 0 else PARTLY_FILLED
    return {ACCEPTED: ACKNOWLEDGED, CANCELED: CANCELLED, REJECTED: REFUSED, REPLACED: AMENDED}[kind]


@dataclass(slots=True)
class Child:
    order_id: int
    parent_id: int
    venue: str
    tactic: str
    order_type: str
    side: int
    quantity: int
    price_half_ticks: int | None
    sent_ns: int
    step_sent: int
    open: int  # what may still fill, as far as we know
    arrival_mid_half_ticks: int | None = None  # NBBO mid when it was sent: its spread-capture benchmark
    filled: int = 0
    status: str = SENT
    reason: str = ""
    cancel_sent: bool = False
    done_ns: int | None = None  # venue time of its last report: the end of its life for interval VWAP

    @property
    def done(self) -> bool:
        return self.status in DONE


def round_lot(lot_size: int) -> int:
    return max(lot_size, ROUND_LOT // lot_size * lot_size)


def clip(wanted: int, lot_size: int, room: int, remaining: int) -> int:
    """A child size within ``room``, in round lots: odd lots only signal, unless less than a
    round lot is left of the parent."""
    unit = lot_size if remaining < round_lot(lot_size) else round_lot(lot_size)
    return max(0, min(wanted, room)) // unit * unit
