"""What travels between us, the venues and the tape: execution reports, prints, the top of
book, and the messages in flight inside the simulator. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

BACKGROUND = "bg"  # the owner of every order that is not ours
MIDPOINT = 0  # aggressor side of a dark midpoint cross: neither side crossed a spread

# Execution report kinds, past tense: what the venue did.
ACCEPTED = "ACCEPTED"
REJECTED = "REJECTED"
FILLED = "FILLED"
CANCELED = "CANCELED"
REPLACED = "REPLACED"


class Level1(NamedTuple):
    """The consolidated top of book at ``time_ns``: prices in ticks, sizes in shares."""

    time_ns: int
    bid: int | None
    bid_size: int
    ask: int | None
    ask_size: int


class Print(NamedTuple):  # a tuple: the tape takes one per trade, hundreds of thousands a day
    """One trade on the consolidated tape (dark prints included, as reported to the TRF)."""

    time_ns: int
    venue: str
    price_half_ticks: int
    quantity: int
    aggressor_side: int  # BUY, SELL, or MIDPOINT for a dark cross
    maker_owner: str
    taker_owner: str
    maker_order_id: int
    taker_order_id: int


class AuctionPublished(NamedTuple):
    """The listing venue's auction feed: an indication while it collects, the cross at the close."""

    time_ns: int
    venue: str
    phase: str  # INDICATIVE, or CLOSE for the closing cross
    price_half_ticks: int | None  # None while nothing would pair
    paired: int
    imbalance: int  # shares left over at the price: + buyers, − sellers


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """What a venue tells us about one of our orders, as of ``venue_time_ns``."""

    time_ns: int  # when the report reaches us
    venue_time_ns: int
    order_id: int
    venue: str
    kind: str
    quantity: int = 0  # filled, cancelled, or the new size of a replace
    price_half_ticks: int | None = None
    liquidity: str = ""
    leaves: int = 0  # still open at the venue after this event
    reason: str = ""


@dataclass(slots=True)
class OurOrder:
    order_id: int
    venue: str
    side: int
    quantity: int  # still open
    price_half_ticks: int | None
    owner: str
    tif: str
    post_only: bool
    min_quantity: int
    live: bool = False  # reached the venue and rests there
    executed: int = 0


# Messages in flight to a venue (ours, after its entry latency) or due at it (a refill).
class NewOrderArrives(NamedTuple):
    order_id: int


class CancelArrives(NamedTuple):
    order_id: int
    venue: str  # where it was sent: the order may be done there by the time it arrives


class ReplaceArrives(NamedTuple):
    order_id: int
    venue: str
    quantity: int  # the new total, executions included (FIX semantics)
    price_half_ticks: int


class RefillDue(NamedTuple):
    """A liquidity provider's reaction to a touch that was hit."""

    venue: str
    side: int


Message = NewOrderArrives | CancelArrives | ReplaceArrives | RefillDue
