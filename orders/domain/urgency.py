"""What an order's urgency means, in one table: the defaults of its execution. Pure Python.

Intake reads the strategy an urgency implies, aggregation the horizon and the limits a new
parent gets, the Implementation Shortfall schedule the Almgren–Chriss κT.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .values import Strategy, Urgency


@dataclass(frozen=True, slots=True)
class UrgencyTerms:
    rank: int  # 0 is the most urgent: a group of orders runs at its most urgent order's terms
    horizon_s: int  # simulated seconds from the parent's start to its end time
    default_strategy: Strategy  # the mandate when the order names no strategy
    max_participation: Decimal  # share of all volume, own included
    aggressiveness: Decimal  # 0 waits at the touch; 1 crosses the spread as soon as behind
    kappa_t: float  # Implementation Shortfall: Almgren–Chriss κT (0 is TWAP; higher front-loads)


DEFAULT_URGENCY = Urgency.MEDIUM
URGENCY_TERMS = {
    Urgency.LOW: UrgencyTerms(2, 60 * 60, Strategy.VWAP, Decimal("0.10"), Decimal("0.20"), 0.5),
    Urgency.MEDIUM: UrgencyTerms(1, 30 * 60, Strategy.TWAP, Decimal("0.20"), Decimal("0.50"), 2.0),
    Urgency.HIGH: UrgencyTerms(0, 10 * 60, Strategy.IS, Decimal("0.35"), Decimal("0.85"), 6.0),
}


def most_urgent(urgencies) -> Urgency:
    return min((Urgency(u) for u in urgencies), key=lambda u: URGENCY_TERMS[u].rank)
