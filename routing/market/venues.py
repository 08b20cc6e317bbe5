"""Venue specifications: fees, latency and (for dark pools) contra interest. Pure Python."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

MAKER = "M"
TAKER = "T"
AUCTION = "A"  # executed in an auction: neither added nor took liquidity
LIT = "LIT"
DARK = "DARK"


@dataclass(frozen=True, slots=True)
class Latency:
    """One-way latency: a floor plus a heavy-tailed (Pareto) jitter, in nanoseconds.

    Most messages arrive near the floor; a few take many times longer, as on real
    order-entry links.
    """

    floor_ns: int
    jitter_ns: int  # scale of the Pareto tail
    tail_alpha: float = 2.2

    def sample(self, rng: random.Random) -> int:
        return self.floor_ns + int(self.jitter_ns * (rng.paretovariate(self.tail_alpha) - 1.0))


@dataclass(frozen=True, slots=True)
class DarkLiquidity:
    """Hidden contra interest a dark pool receives, and its minimum fill size."""

    min_fill: int
    arrivals_share: float  # share of background arrivals that are contra interest here
    median_size: int
    informed_share: float  # share of contra that knows where the price is going
    lifetime_s: float  # how long contra interest waits in the pool on average


@dataclass(frozen=True, slots=True)
class VenueSpec:
    code: str
    name: str
    kind: str  # LIT or DARK
    maker_fee: Decimal  # per share; negative is a rebate
    taker_fee: Decimal
    flow_share: float  # share of lit background flow arriving at this venue (model weight)
    entry_latency: Latency
    report_latency: Latency
    dark: DarkLiquidity | None = None
    listing: bool = False  # the listing exchange: it runs the auctions and prints the official close
    auction_fee: Decimal = Decimal("0.0010")  # per share executed in its auctions

    def fee(self, quantity: int, liquidity: str) -> Decimal:
        if liquidity == MAKER:
            return self.maker_fee * quantity
        return (self.taker_fee if liquidity == TAKER else self.auction_fee) * quantity


def _us(floor: int, jitter: int) -> Latency:
    return Latency(floor * 1000, jitter * 1000)


DEFAULT_VENUES: tuple[VenueSpec, ...] = (
    VenueSpec(
        "NYSE",
        "New York Stock Exchange (simulated)",
        LIT,
        Decimal("-0.0020"),
        Decimal("0.0030"),
        0.45,
        _us(380, 60),
        _us(300, 50),
        listing=True,
    ),
    VenueSpec(
        "NASDAQ", "Nasdaq (simulated)", LIT, Decimal("-0.0025"), Decimal("0.0030"), 0.35, _us(250, 40), _us(220, 40)
    ),
    # An inverted venue: takers are paid, makers pay.
    VenueSpec(
        "BATS",
        "Cboe BYX (simulated, inverted)",
        LIT,
        Decimal("0.0018"),
        Decimal("-0.0006"),
        0.20,
        _us(300, 50),
        _us(260, 45),
    ),
    # The larger pool: bigger blocks, more informed contra (worse mark-outs).
    VenueSpec(
        "DARKX",
        "Dark Pool X (simulated)",
        DARK,
        Decimal("0.0010"),
        Decimal("0.0010"),
        0.0,
        _us(650, 150),
        _us(500, 120),
        DarkLiquidity(min_fill=200, arrivals_share=0.012, median_size=900, informed_share=0.45, lifetime_s=20.0),
    ),
    VenueSpec(
        "DARKY",
        "Dark Pool Y (simulated)",
        DARK,
        Decimal("0.0008"),
        Decimal("0.0008"),
        0.0,
        _us(550, 120),
        _us(450, 100),
        DarkLiquidity(min_fill=100, arrivals_share=0.010, median_size=500, informed_share=0.2, lifetime_s=15.0),
    ),
)
