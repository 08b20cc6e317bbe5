"""Historical intraday volume profiles, built from the simulator's own days. Pure Python."""

from __future__ import annotations

import random
from collections.abc import Sequence

from .clock import NS_PER_S
from .flow import FlowParameters
from .simulator import MarketSimulator
from .venues import VenueSpec

PROFILE_BINS = 78  # five-minute bins over a 6.5-hour day


def simulated_day_volumes(
    *,
    venues: Sequence[VenueSpec],
    reference_ticks: int,
    open_ns: int,
    close_ns: int,
    seed: int,
    bins: int = PROFILE_BINS,
    flow: FlowParameters | None = None,
) -> list[int]:
    """Run one day of background flow and return the tape's volume in each bin."""
    sim = MarketSimulator(
        venues=venues,
        reference_ticks=reference_ticks,
        open_ns=open_ns,
        close_ns=close_ns,
        flow=flow,
        warm_up_seed=seed,
    )
    volumes = [0] * bins
    width = (close_ns - open_ns) // bins
    step_ns = min(width, 60 * NS_PER_S)
    for step in range(0, (close_ns - open_ns) // step_ns):
        prints = sim.run_until(min(open_ns + (step + 1) * step_ns, close_ns), random.Random(f"profile:{seed}:{step}"))
        for p in prints:
            volumes[min(bins - 1, (p.time_ns - open_ns) // width)] += p.quantity
    return volumes
