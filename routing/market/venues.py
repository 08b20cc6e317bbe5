"""Venue specifications and fee arithmetic. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MAKER = "M"
TAKER = "T"


@dataclass(frozen=True, slots=True)
class VenueSpec:
    code: str
    name: str
    kind: str  # "LIT" or "DARK"
    maker_fee: Decimal  # per share; negative is a rebate
    taker_fee: Decimal
    flow_share: float  # share of background flow arriving at this venue (model weight)

    def fee(self, quantity: int, liquidity: str) -> Decimal:
        rate = self.maker_fee if liquidity == MAKER else self.taker_fee
        return rate * quantity


DEFAULT_VENUES: tuple[VenueSpec, ...] = (
    VenueSpec("NYSE", "New York Stock Exchange (simulated)", "LIT", Decimal("-0.0020"), Decimal("0.0030"), 0.45),
    VenueSpec("NASDAQ", "Nasdaq (simulated)", "LIT", Decimal("-0.0025"), Decimal("0.0030"), 0.35),
    # An inverted venue: takers are paid, makers pay.
    VenueSpec("BATS", "Cboe BYX (simulated, inverted)", "LIT", Decimal("0.0018"), Decimal("-0.0006"), 0.20),
    VenueSpec("DARKX", "Dark Pool X (simulated)", "DARK", Decimal("0.0010"), Decimal("0.0010"), 0.0),
    VenueSpec("DARKY", "Dark Pool Y (simulated)", "DARK", Decimal("0.0008"), Decimal("0.0008"), 0.0),
)
