"""A trading day's market as it opens, with the engine's state beside it: the one factory
behind live sessions and replays, so a replay rebuilds exactly the market a session had.
Pure Python."""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal

from .engine.state import ExecutionState
from .market.clock import CLOSE_NS, OPEN_NS
from .market.halts import NewsJump
from .market.incidents import VenueIncident
from .market.simulator import MarketSimulator
from .market.venues import VenueSpec


def market_open(
    *,
    venues: Sequence[VenueSpec],
    reference_ticks: int,
    tick_size: Decimal,
    seed: int,
    open_ns: int = OPEN_NS,
    close_ns: int = CLOSE_NS,
    incidents: Sequence[VenueIncident] = (),
    news_jumps: Sequence[NewsJump] = (),
) -> tuple[MarketSimulator, ExecutionState]:
    simulator = MarketSimulator(
        venues=venues,
        reference_ticks=reference_ticks,
        open_ns=open_ns,
        close_ns=close_ns,
        warm_up_seed=seed,
        incidents=incidents,
        news_jumps=news_jumps,
    )
    state = ExecutionState(
        profile=None,  # loaded when a VWAP parent first needs it: building it takes seconds
        tick_size=tick_size,
    )
    return simulator, state


def step_rng(seed: int, step_no: int) -> random.Random:
    """Step ``step_no``'s generator: a session's step, its catch-up and its replay draw the same."""
    return random.Random(f"{seed}:{step_no}")
