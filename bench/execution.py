"""Execution quality over many seeds: every algorithm on the same market paths. Pure Python.

For each seed the market runs from the open to the start of the window; that state is
copied so each algorithm (and the naive single market order) trades on an identical
market path. A buy of ``volume_share`` of the day's volume over one hour.
"""

from __future__ import annotations

import copy
import multiprocessing
import random
import statistics
from dataclasses import dataclass, replace
from decimal import Decimal

from routing.algorithms.schedules import profile_from_volumes
from routing.engine.state import IMMEDIATE, LIQUIDITY_SEEKING, PARALLEL, SWEEP_TICKS, ExecutionState, ParentPlan
from routing.engine.step import run_step
from routing.market.book import BUY
from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS
from routing.market.profile import simulated_day_volumes
from routing.market.simulator import MarketSimulator
from routing.market.venues import DARK, DEFAULT_VENUES

REFERENCE_TICKS = 10_000
TICK = Decimal("0.01")
STEP_NS = 5 * NS_PER_S
WINDOW_START_NS = OPEN_NS + 60 * 60 * NS_PER_S  # 10:30
WINDOW_NS = 60 * 60 * NS_PER_S


@dataclass(frozen=True, slots=True)
class Variant:
    label: str
    strategy: str
    routing: str = LIQUIDITY_SEEKING
    urgency: float = 2.0
    pov_rate: float = 0.10
    naive: bool = False


VARIANTS = (
    Variant("TWAP", "TWAP"),
    Variant("VWAP", "VWAP"),
    Variant("VWAP lit only", "VWAP", routing=PARALLEL),
    Variant("POV 10%", "POV"),
    Variant("IS high urgency", "IS", urgency=6.0),
    Variant("IS medium urgency", "IS", urgency=2.0),
    Variant("IS low urgency", "IS", urgency=0.5),
    Variant("Naive market order", IMMEDIATE, naive=True),
)


def build_profile(days: int = 2):
    volumes = [
        simulated_day_volumes(
            venues=DEFAULT_VENUES, reference_ticks=REFERENCE_TICKS, open_ns=OPEN_NS, close_ns=CLOSE_NS, seed=900 + d
        )
        for d in range(days)
    ]
    return profile_from_volumes(OPEN_NS, CLOSE_NS, volumes), sum(sum(v) for v in volumes) / days


def _market_at_window(seed: int) -> MarketSimulator:
    """Seed k has its own flow; seeds 2j−1 and 2j share news path j, mirrored (antithetic)."""
    sim = MarketSimulator(
        venues=DEFAULT_VENUES,
        reference_ticks=REFERENCE_TICKS,
        open_ns=OPEN_NS,
        close_ns=CLOSE_NS,
        warm_up_seed=seed,
        path_seed=(seed + 1) // 2,
        path_sign=1 if seed % 2 else -1,
    )
    step = 0
    while sim.clock_ns < WINDOW_START_NS:
        sim.run_until(min(sim.clock_ns + 60 * NS_PER_S, WINDOW_START_NS), random.Random(f"{seed}:pre:{step}"))
        step += 1
    return sim


def run_variant(market: MarketSimulator, profile, variant: Variant, quantity: int, seed: int) -> dict:
    sim = copy.deepcopy(market)
    state = ExecutionState(
        profile=profile,
        tick_size=TICK,
    )
    start, end = sim.clock_ns, sim.clock_ns + WINDOW_NS
    arrival_half_ticks = sim.mid_ticks_x2()
    plan = ParentPlan(
        parent_id=1,
        side=BUY,
        quantity=quantity,
        filled=0,
        limit=None,
        start_ns=start,
        end_ns=start + WINDOW_NS,
        lot_size=100,
        strategy=variant.strategy,
        urgency=variant.urgency,
        pov_rate=variant.pov_rate,
        max_participation=1.0 if variant.naive else 0.5,
        aggressiveness=1.0 if variant.naive else 0.5,
        routing=PARALLEL if variant.naive else variant.routing,
        sweep_ticks=10_000 if variant.naive else SWEEP_TICKS,
    )
    fills = []
    volume = notional = 0
    step = 0
    filled = 0
    while sim.clock_ns < end:
        outcome = run_step(
            sim,
            state,
            [replace(plan, filled=filled)] if filled < quantity else [],
            end_ns=min(sim.clock_ns + STEP_NS, end),
            rng=random.Random(f"{seed}:{step}"),
            step_no=step,
        )
        fills.extend(outcome.fills)
        filled += sum(f.quantity for f in outcome.fills)
        volume += outcome.bar.volume
        notional += outcome.bar.notional_half_ticks
        step += 1
    filled = sum(f.quantity for f in fills)
    paid = sum(f.quantity * f.price_half_ticks for f in fills)
    fees = sum((f.fee for f in fills), Decimal(0))
    dark = sum(f.quantity for f in fills if sim.specs[f.venue].kind == DARK)
    end_mid = sim.mid_ticks_x2() or round(2 * sim.fair_value_ticks())  # a swept-out side has no mid
    interval_vwap = notional / volume
    arrival_money = float(TICK) / 2 * arrival_half_ticks
    shortfall = paid - filled * arrival_half_ticks + (quantity - filled) * (end_mid - arrival_half_ticks)
    shortfall_money = float(TICK) / 2 * shortfall + float(fees)
    return {
        "performance_vs_interval_vwap_bps": (interval_vwap - paid / filled) / interval_vwap * 1e4 if filled else None,
        "shortfall_vs_arrival_bps": shortfall_money / (arrival_money * quantity) * 1e4,
        "fees_bps": float(fees) / (arrival_money * max(filled, 1)) * 1e4,
        "dark_share": dark / filled if filled else 0.0,
        "fill_rate": filled / quantity,
    }


def _one_path(args) -> dict[str, dict]:
    seed, profile, quantity = args
    market = _market_at_window(seed)
    return {v.label: run_variant(market, profile, v, quantity, seed) for v in VARIANTS}


def execution_quality(seeds: int = 30, volume_share: float = 0.05, progress=print, processes: int = 2) -> dict:
    """Every variant on the market of each seed (an even number of them).

    Pairs of seeds face mirrored news paths (antithetic variates): that cancels the drift a
    schedule happens to be exposed to, so the means measure the cost of executing, not the
    luck of the path; the standard deviations still show each schedule's timing risk.
    """
    profile, day_volume = build_profile()
    quantity = int(day_volume * volume_share) // 100 * 100
    jobs = [(seed, profile, quantity) for seed in range(1, seeds + 1)]
    results: dict[str, list[dict]] = {v.label: [] for v in VARIANTS}
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for done, path in enumerate(pool.imap(_one_path, jobs), start=1):
            for label, run in path.items():
                results[label].append(run)
            progress(f"  execution quality: seed {done}/{len(jobs)}")
    table = {}
    for label, runs in results.items():
        row = {}
        for metric in runs[0]:
            values = [r[metric] for r in runs if r[metric] is not None]
            row[metric] = {
                "mean": round(statistics.fmean(values), 3) if values else None,
                "std": round(statistics.stdev(values), 3) if len(values) > 1 else None,
            }
        table[label] = row
    dark_gain = [
        lit["shortfall_vs_arrival_bps"] - dark["shortfall_vs_arrival_bps"]
        for dark, lit in zip(results["VWAP"], results["VWAP lit only"], strict=True)
    ]
    paired = {
        "dark_routing_saves_bps": {
            "mean": round(statistics.fmean(dark_gain), 3),
            "std_error": round(statistics.stdev(dark_gain) / len(dark_gain) ** 0.5, 3) if len(dark_gain) > 1 else None,
            "what": "VWAP lit only minus VWAP liquidity seeking, shortfall per seed (positive: dark pools help)",
        }
    }
    return {"seeds": seeds, "quantity": quantity, "paired": paired, "day_volume": round(day_volume), "table": table}


if __name__ == "__main__":
    import json
    import sys
    import time

    began = time.perf_counter()
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    print(json.dumps(execution_quality(seeds=seeds, progress=lambda m: print(m, file=sys.stderr)), indent=1))
    print(f"{time.perf_counter() - began:.1f} s", file=sys.stderr)
