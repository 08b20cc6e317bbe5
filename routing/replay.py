"""Counterfactual replay: a parent's window again, on its session's seeded market, under
other algorithms. Pure Python.

A session's market is a function of its seed and its fixed step grid (step ``k`` runs
from ``open + k·step`` with a generator seeded ``"{seed}:{k}"``), plus whatever our own
orders did to it. The replay rebuilds the session's market from the open with no
parents, to the parent's start, then copies it once per alternative and runs the
parent alone through its window, step by step exactly as the session's worker would.
Every alternative therefore faces the same background flow and the same news path;
they differ only by what their own orders do to the market. A parent that was alone in
its session and never paused replays its own algorithm fill for fill.

One path is luck: an hour of drift decides which algorithm looks cheapest. So every
alternative also runs on further futures of the same market, each branching at the
parent's start with its own seeded news and flow (``MarketPath``), in antithetic pairs
whose news is mirrored, so that the drift's luck cancels from their means.
"""

from __future__ import annotations

import copy
import hashlib
import multiprocessing
import random
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from .algorithms.schedules import VolumeProfile
from .engine.state import Bar, FillReport, ParentPlan
from .engine.step import run_step
from .market.clock import NS_PER_S
from .market.incidents import VenueIncident
from .market.venues import DARK, DEFAULT_VENUES, VenueSpec
from .opening import market_open, step_rng


class ReplayError(ValueError):
    """The session's market cannot be rebuilt as it ran."""


@dataclass(frozen=True, slots=True)
class ReplayMarket:
    """What rebuilds a session's market: its seed, reference price, venues and step grid."""

    seed: int
    reference_ticks: int
    tick_size: Decimal
    open_ns: int
    close_ns: int
    step_ns: int
    venues: tuple[VenueSpec, ...] = DEFAULT_VENUES
    incidents: tuple[VenueIncident, ...] = ()  # the day's venue incidents, as the session had them


@dataclass(frozen=True, slots=True)
class Alternative:
    label: str
    strategy: str
    urgency: float | None = None  # None: the parent's own
    pov_rate: float | None = None
    max_participation: float | None = None
    aggressiveness: float | None = None
    routing: str | None = None
    sweep_ticks: int | None = None

    def plan_for(self, plan: ParentPlan) -> ParentPlan:
        changes = {
            name: getattr(self, name)
            for name in ("urgency", "pov_rate", "max_participation", "aggressiveness", "routing", "sweep_ticks")
            if getattr(self, name) is not None
        }
        return replace(plan, strategy=self.strategy, filled=0, active=True, **changes)


@dataclass(frozen=True, slots=True)
class MarketPath:
    """A future of the session's market from the parent's start.

    ``pair`` None is the recorded path: the session's own news and flow. Pair ``n`` has
    news and flow of its own, drawn from the session's seed and ``n``; its ``sign`` −1
    twin mirrors the news (antithetic) and shares the flow.
    """

    pair: int | None = None
    sign: int = 1

    def news_seed(self, seed: int) -> int:
        digest = hashlib.blake2b(f"{seed}:news:{self.pair}".encode(), digest_size=6).digest()
        return int.from_bytes(digest, "big")

    def step_rng(self, seed: int, step_no: int) -> random.Random:
        return step_rng(seed, step_no) if self.pair is None else random.Random(f"{seed}:path{self.pair}:{step_no}")


RECORDED = MarketPath()


def further_paths(count: int) -> list[MarketPath]:
    """``count`` further paths (an even number) as antithetic pairs."""
    if count < 0 or count % 2:
        raise ValueError(f"further paths come in antithetic pairs: {count} is not an even count")
    return [MarketPath(pair, sign) for pair in range(count // 2) for sign in (1, -1)]


@dataclass(slots=True)
class ReplayRun:
    """One alternative's execution over the replayed window, in ticks and half ticks."""

    label: str
    plan: ParentPlan
    arrival_mid_half_ticks: int | None
    end_mid_half_ticks: int | None
    fills: list[FillReport] = field(default_factory=list)
    seconds: list[Bar] = field(default_factory=list)  # the market, second by second, over the window
    children: int = 0
    dark_venues: frozenset[str] = frozenset()

    @property
    def filled(self) -> int:
        return sum(f.quantity for f in self.fills)

    @property
    def dark_filled(self) -> int:
        return sum(f.quantity for f in self.fills if f.venue in self.dark_venues)


class Replay:
    """The session's market rebuilt up to a parent's start, ready to run alternatives on."""

    def __init__(self, market: ReplayMarket, start_ns: int, *, progress: Callable[[int], None] | None = None):
        self.market = market
        sim, state = market_open(
            venues=market.venues,
            reference_ticks=market.reference_ticks,
            tick_size=market.tick_size,
            seed=market.seed,
            open_ns=market.open_ns,
            close_ns=market.close_ns,
            incidents=market.incidents,
        )
        step_no = 0
        while sim.clock_ns < start_ns:
            end_ns = min(sim.clock_ns + market.step_ns, market.close_ns)
            run_step(sim, state, [], end_ns=end_ns, rng=self._rng(step_no), step_no=step_no)
            step_no += 1
            if progress is not None:
                progress(1)
        if sim.clock_ns != start_ns:
            raise ReplayError(
                f"the parent started between two steps of {market.step_ns / NS_PER_S:g} s: "
                "the session ran with another step length, so its market cannot be rebuilt"
            )
        self.sim, self.state, self.start_step = sim, state, step_no

    @staticmethod
    def steps_before(market: ReplayMarket, start_ns: int) -> int:
        return -(-(start_ns - market.open_ns) // market.step_ns)

    @staticmethod
    def steps_in(market: ReplayMarket, plan: ParentPlan) -> int:
        return -(-(min(plan.end_ns, market.close_ns) - plan.start_ns) // market.step_ns)

    def _rng(self, step_no: int) -> random.Random:
        return RECORDED.step_rng(self.market.seed, step_no)

    def run(
        self,
        label: str,
        plan: ParentPlan,
        *,
        profile: VolumeProfile | None = None,
        progress: Callable[[int], None] | None = None,
        path: MarketPath = RECORDED,
    ) -> ReplayRun:
        """``plan`` alone from the parent's start until it is done, on a copy of the market
        that goes on along ``path``."""
        sim, state = copy.deepcopy((self.sim, self.state))
        state.profile = profile
        if path.pair is not None:
            sim.follow_news(path.news_seed(self.market.seed), path.sign)
        dark = frozenset(code for code, spec in sim.specs.items() if spec.kind == DARK)
        run = ReplayRun(label, plan, sim.mid_ticks_x2(), None, dark_venues=dark)
        step_no, filled = self.start_step, 0
        sent: set[int] = set()
        while True:
            end_ns = min(sim.clock_ns + self.market.step_ns, self.market.close_ns)
            outcome = run_step(
                sim,
                state,
                [replace(plan, filled=filled)],
                end_ns=end_ns,
                rng=path.step_rng(self.market.seed, step_no),
                step_no=step_no,
            )
            run.fills.extend(outcome.fills)
            run.seconds.extend(outcome.seconds)
            filled += sum(f.quantity for f in outcome.fills)
            sent.update(c.order_id for c in outcome.children)
            step_no += 1
            if progress is not None:
                progress(1)
            if plan.parent_id not in state.parents or end_ns >= self.market.close_ns:
                break
        run.children = len(sent)
        run.end_mid_half_ticks = sim.mid_ticks_x2()
        return run


def replay_alternatives(
    market: ReplayMarket,
    plan: ParentPlan,
    alternatives: Sequence[Alternative],
    *,
    profile: VolumeProfile | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ReplayRun]:
    """Each alternative on the recorded path of the replayed market."""
    (runs,) = replay_paths(market, plan, alternatives, [RECORDED], summarise=_whole, profile=profile, progress=progress)
    return runs


def _whole(run: ReplayRun) -> ReplayRun:
    return run


def replay_paths(
    market: ReplayMarket,
    plan: ParentPlan,
    alternatives: Sequence[Alternative],
    paths: Sequence[MarketPath],
    *,
    summarise: Callable[[ReplayRun], Any],
    profile: VolumeProfile | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> list[list[Any]]:
    """Every alternative on every path of the market from the parent's start, summarised.

    Returns ``summarise(run)`` per alternative, per path, in the order given. The paths run
    in ``workers`` processes when there are more than one (each path is independent of the
    others, and a run's outcome depends only on its path, so the result is the same);
    ``progress(done, total)`` counts steps and moves as paths finish.
    """
    per_path = Replay.steps_in(market, plan) * len(alternatives)
    total = Replay.steps_before(market, plan.start_ns) + per_path * len(paths)
    done = 0

    def rebuilt(steps: int) -> None:
        nonlocal done
        done = min(total, done + steps)
        if progress is not None:
            progress(done, total)

    replay = Replay(market, plan.start_ns, progress=rebuilt)
    runner = _PathRunner(replay, plan, tuple(alternatives), profile, summarise)
    results: list[list[Any] | None] = [None] * len(paths)
    if workers <= 1 or len(paths) <= 1:
        rebuilt_at = done
        for index, path in enumerate(paths):
            results[index] = runner(path, progress=rebuilt)
            done = rebuilt_at + per_path * index  # a run that ended early still takes its share
            rebuilt(per_path)
    else:
        # forkserver: the reports worker may hold threads and connections a fork would copy mid-use
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(
            max_workers=min(workers, len(paths)), mp_context=context, initializer=_adopt, initargs=(runner,)
        ) as pool:
            pending = {pool.submit(_run_adopted, path): index for index, path in enumerate(paths)}
            for future in as_completed(pending):
                results[pending[future]] = future.result()
                rebuilt(per_path)
    return results  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class _PathRunner:
    """Every alternative along one path, summarised; sent once to each pool process."""

    replay: Replay
    plan: ParentPlan
    alternatives: tuple[Alternative, ...]
    profile: VolumeProfile | None
    summarise: Callable[[ReplayRun], Any]

    def __call__(self, path: MarketPath, progress: Callable[[int], None] | None = None) -> list[Any]:
        return [
            self.summarise(
                self.replay.run(a.label, a.plan_for(self.plan), profile=self.profile, progress=progress, path=path)
            )
            for a in self.alternatives
        ]


_adopted: _PathRunner | None = None


def _adopt(runner: _PathRunner) -> None:
    global _adopted
    _adopted = runner


def _run_adopted(path: MarketPath) -> list[Any]:
    assert _adopted is not None, "a pool process runs paths only after adopting its runner"
    return _adopted(path)
