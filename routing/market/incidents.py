"""Venue incidents: a venue down, slow or refusing orders for a while, drawn per trading day.
Pure Python.

An incident is the venue's, not one instrument's: it is drawn from the trading day's seed,
so every instrument's market meets the same outage at the same time. The simulator applies
it at whole simulated seconds and publishes each change as a venue status message; the
engine routes nothing to a venue that is not up, and a venue that goes down cancels what
rested there, which the engine then works elsewhere.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from .clock import NS_PER_S
from .venues import DARK, VenueSpec

UP = "UP"
DOWN = "DOWN"  # accepts nothing; what rested there is cancelled; its quotes leave the NBBO
DEGRADED = "DEGRADED"  # works, with its latency multiplied
REJECTING = "REJECTING"  # refuses new orders (cancels still work); its book trades on
STATUSES = (UP, DOWN, DEGRADED, REJECTING)
AVAILABLE = frozenset({UP, DEGRADED})  # where the router may send new orders


@dataclass(frozen=True, slots=True)
class VenueIncident:
    venue: str
    status: str  # DOWN, DEGRADED or REJECTING
    start_s: int  # simulated seconds since midnight
    end_s: int
    latency_factor: int = 1  # DEGRADED: entry and report latency multiplied by this

    def __post_init__(self) -> None:
        assert self.status in STATUSES and self.status != UP, self.status
        assert self.start_s < self.end_s, "an incident lasts"
        assert self.latency_factor >= 1

    @property
    def detail(self) -> str:
        if self.status == DEGRADED:
            return f"latency ×{self.latency_factor}"
        return "not accepting orders" if self.status == DOWN else "rejecting new orders"


@dataclass(frozen=True, slots=True)
class VenueStatusChanged:
    """A venue status message: what the venue (or the consolidated feed) publishes."""

    time_ns: int
    venue: str
    status: str
    detail: str


def day_incidents(
    day_seed: str, venues: Sequence[VenueSpec], *, open_ns: int, close_ns: int, chance: float = 0.3
) -> tuple[VenueIncident, ...]:
    """A trading day's incidents: each venue has ``chance`` of one, of 2 to 20 minutes (log
    uniform), starting between 15 minutes after the open and 45 before the close. At most
    one lit venue is down at a time, so a lit market always trades."""
    rng = random.Random(f"{day_seed}:venue-incidents")
    first, last = open_ns // NS_PER_S + 900, close_ns // NS_PER_S - 2_700
    incidents: list[VenueIncident] = []
    for spec in sorted(venues, key=lambda v: v.code):
        if rng.random() >= chance:
            continue
        status = rng.choices((DOWN, DEGRADED, REJECTING), (0.4, 0.4, 0.2))[0]
        start = rng.randint(first, last)
        length = round(math.exp(rng.uniform(math.log(120), math.log(1_200))))
        factor = rng.choice((5, 10, 20)) if status == DEGRADED else 1
        incident = VenueIncident(spec.code, status, start, start + length, factor)
        if status == DOWN and spec.kind != DARK and any(_overlaps(incident, other, venues) for other in incidents):
            continue
        incidents.append(incident)
    return tuple(sorted(incidents, key=lambda i: (i.start_s, i.venue)))


def _overlaps(incident: VenueIncident, other: VenueIncident, venues: Sequence[VenueSpec]) -> bool:
    kind = {v.code: v.kind for v in venues}
    return (
        other.status == DOWN
        and kind[other.venue] != DARK
        and other.start_s < incident.end_s
        and incident.start_s < other.end_s
    )
