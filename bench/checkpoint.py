"""The checkpoint a session writes after every step, over a whole simulated day. Pure Python.

A session's state is one pickle of its market and its engine (``MarketSession.state``),
rewritten whole at every step, so its size is the bytes every step writes and reads back.
One instrument, five venues, 5-second steps from the open to the close, with the parents a
busy name has: a day-long VWAP, a morning TWAP, a POV from noon and an IS buy in the
afternoon. ``checkpoint_curve``: per half hour, the median and largest checkpoint, its
pickling and unpickling time, and the book's resting orders and the engine's open children.
"""

from __future__ import annotations

import pickle
import random
import statistics
import time
from dataclasses import replace

from bench.execution import TICK, build_profile
from bench.size import invariant, sized
from routing.engine.state import ExecutionState, ParentPlan
from routing.engine.step import run_step
from routing.market.book import BUY, SELL
from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS
from routing.market.simulator import MarketSimulator
from routing.market.venues import DEFAULT_VENUES

STEP_NS = 5 * NS_PER_S
HALF_HOUR_NS = 1_800 * NS_PER_S
HOUR_NS = 3_600 * NS_PER_S


def _parents() -> list[ParentPlan]:
    def plan(parent_id, side, quantity, start_ns, end_ns, strategy, **terms):
        return ParentPlan(parent_id, side, quantity, 0, None, start_ns, end_ns, 100, strategy, **terms)

    return [
        plan(1, BUY, 400_000, OPEN_NS, CLOSE_NS, "VWAP"),
        plan(2, SELL, 60_000, OPEN_NS, OPEN_NS + 150 * 60 * NS_PER_S, "TWAP"),
        plan(3, BUY, 80_000, OPEN_NS + 150 * 60 * NS_PER_S, CLOSE_NS, "POV", pov_rate=0.05),
        plan(4, SELL, 40_000, OPEN_NS + 4 * HOUR_NS, OPEN_NS + 5 * HOUR_NS, "IS", urgency=2.0),
    ]


def checkpoint_day(seed: int = 7) -> dict:
    profile, _ = build_profile(days=1)
    sim = MarketSimulator(
        venues=DEFAULT_VENUES, reference_ticks=10_000, open_ns=OPEN_NS, close_ns=CLOSE_NS, warm_up_seed=seed
    )
    state = ExecutionState(profile=profile, tick_size=TICK)
    plans = _parents()
    filled = dict.fromkeys((p.parent_id for p in plans), 0)
    end_of_run = min(CLOSE_NS, OPEN_NS + sized(390, 20) * 60 * NS_PER_S)
    samples: list[tuple[int, int, float, float, int, int]] = []  # ns, bytes, dump ms, load ms, resting, open
    step = 0
    while sim.clock_ns < end_of_run:
        now = sim.clock_ns
        working = [replace(p, filled=filled[p.parent_id]) for p in plans if p.start_ns <= now < p.end_ns]
        rng = random.Random(f"{seed}:{step}")
        outcome = run_step(sim, state, working, end_ns=min(now + STEP_NS, end_of_run), rng=rng, step_no=step)
        for fill in outcome.fills:
            filled[fill.parent_id] += fill.quantity
        began = time.perf_counter()
        checkpoint = pickle.dumps((sim, state))
        dumped = time.perf_counter()
        pickle.loads(checkpoint)
        loaded = time.perf_counter()
        resting = sum(len(book) for book in sim.books.values())
        open_children = sum(p.open_quantity() > 0 for p in state.parents.values())
        samples.append(
            (sim.clock_ns, len(checkpoint), 1e3 * (dumped - began), 1e3 * (loaded - dumped), resting, open_children)
        )
        step += 1
    invariant(any(filled.values()), "the parents traded")
    invariant(all(f <= p.quantity for p, f in zip(plans, filled.values(), strict=True)), "no parent overfilled")
    return _figures(samples, filled)


def _figures(samples, filled: dict[int, int]) -> dict:
    curve = []
    for start in range(OPEN_NS, CLOSE_NS, HALF_HOUR_NS):
        until = start + HALF_HOUR_NS
        part = [s for s in samples if start < s[0] <= until]
        if not part:
            continue
        sizes = [s[1] for s in part]
        curve.append(
            {
                "until": f"{until // HOUR_NS:02d}:{until % HOUR_NS // (60 * NS_PER_S):02d}",
                "bytes_median": round(statistics.median(sizes)),
                "bytes_max": max(sizes),
                "dump_ms_median": round(statistics.median(s[2] for s in part), 2),
                "load_ms_median": round(statistics.median(s[3] for s in part), 2),
                "resting_orders_median": round(statistics.median(s[4] for s in part)),
                "parents_with_children_max": max(s[5] for s in part),
            }
        )
    sizes = sorted(s[1] for s in samples)
    return {
        "checkpoint_steps": len(samples),
        "checkpoint_bytes_p50": sizes[len(sizes) // 2],
        "checkpoint_bytes_max": sizes[-1],
        "checkpoint_growth": round(curve[-1]["bytes_median"] / curve[0]["bytes_median"], 2),
        "checkpoint_day_bytes_written": sum(sizes),
        "checkpoint_dump_ms_p50": round(statistics.median(s[2] for s in samples), 2),
        "checkpoint_parents_filled": filled,
        "checkpoint_curve": curve,
    }
