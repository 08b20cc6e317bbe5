"""Counterfactual replay: alternatives face the same seeded market and do not leak into each other."""

import copy
import dataclasses
from decimal import Decimal

import pytest

from routing.engine.state import ParentPlan
from routing.market.book import BUY
from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS
from routing.replay import (
    RECORDED,
    Alternative,
    Replay,
    ReplayError,
    ReplayMarket,
    further_paths,
    replay_alternatives,
    replay_paths,
)
from tca.counterfactual import alternatives_for, replay_figures

MARKET = ReplayMarket(
    seed=4242,
    reference_ticks=10_000,
    tick_size=Decimal("0.01"),
    open_ns=OPEN_NS,
    close_ns=CLOSE_NS,
    step_ns=5 * NS_PER_S,
)
START = OPEN_NS + 2 * 60 * NS_PER_S
PLAN = ParentPlan(
    parent_id=1,
    side=BUY,
    quantity=3_000,
    filled=0,
    limit=None,
    start_ns=START,
    end_ns=START + 3 * 60 * NS_PER_S,
    lot_size=100,
    strategy="TWAP",
)


def fills(run):
    return [(f.time_ns, f.venue, f.quantity, f.price_half_ticks, f.fee) for f in run.fills]


def test_alternatives_face_the_same_market_whatever_ran_before_them():
    # given progress reports, and the alternatives run together and one alone
    seen = []
    twap_and_pov = alternatives_for("TWAP", pov_rate=0.1, kappa_t=2.0)[:3:2]
    together = replay_alternatives(MARKET, PLAN, twap_and_pov, progress=lambda d, t: seen.append((d, t)))
    (alone,) = replay_alternatives(MARKET, PLAN, [Alternative("POV", "POV")])

    # then a run is the same whether another ran before it on the rebuilt market
    assert [r.label for r in together] == ["TWAP", "POV 10%"]
    assert fills(together[1]) == fills(alone) and fills(alone)
    # every run starts from the same mid, and different algorithms trade differently
    assert together[0].arrival_mid_half_ticks == together[1].arrival_mid_half_ticks == alone.arrival_mid_half_ticks
    assert fills(together[0]) != fills(together[1])
    # progress rises to its total, which counts the steps before the start and each window
    done = [d for d, _ in seen]
    assert done == sorted(done) and seen[-1][0] == seen[-1][1] == 24 + 2 * 36


def test_replay_figures_add_up_from_the_fills():
    (run,) = replay_alternatives(MARKET, PLAN, [Alternative("TWAP", "TWAP")])
    figures = replay_figures(run, side="BUY", tick=Decimal("0.01"), as_run=True)
    notional = sum(Decimal(f.quantity * f.price_half_ticks) / 200 for f in run.fills)
    assert figures.filled == sum(f.quantity for f in run.fills) == 3_000
    assert figures.average_price == notional / 3_000
    assert figures.executed[-1][1] == 3_000
    assert figures.shortfall.total == figures.shortfall.trading + figures.shortfall.opportunity + figures.fees
    assert figures.shortfall.delay == 0  # measured from the replay's own arrival


def test_a_start_off_the_step_grid_is_refused():
    with pytest.raises(ReplayError, match="another step length"):
        Replay(MARKET, START + NS_PER_S)


def test_further_paths_come_in_antithetic_pairs_whose_news_is_mirrored():
    # given the market at the parent's start, and a pair of further paths
    replay = Replay(MARKET, START)
    up, down = further_paths(2)
    assert (up.pair, up.sign, down.pair, down.sign) == (0, 1, 0, -1)
    with pytest.raises(ValueError, match="antithetic pairs"):
        further_paths(3)

    # when the market goes on for ten minutes along each, with the same flow
    moved = []
    for path in (up, down, RECORDED):
        sim = copy.deepcopy(replay.sim)
        before = sim.fundamental
        if path.pair is not None:
            sim.follow_news(path.news_seed(MARKET.seed), path.sign)
        sim.run_until(START + 600 * NS_PER_S, path.step_rng(MARKET.seed, 0))
        moved.append(sim.fundamental - before)

    # then the twins' news moved the fundamental exactly opposite ways, unlike the recorded path's
    assert moved[0] == -moved[1] != 0
    assert moved[2] not in (moved[0], moved[1])


def test_paths_in_worker_processes_give_what_one_process_gives():
    # given the recorded path and two further ones, TWAP and a market order
    alternatives = [Alternative("TWAP", "TWAP"), alternatives_for("TWAP", pov_rate=0.1, kappa_t=2.0)[-1]]
    paths = [RECORDED, *further_paths(2)]

    def run(workers):
        seen = []
        summary = replay_paths(
            MARKET, PLAN, alternatives, paths, summarise=fills, workers=workers, progress=lambda d, t: seen.append(d)
        )
        return summary, seen

    # when they run in this process and in two worker processes
    inline, inline_progress = run(1)
    pooled, pooled_progress = run(2)

    # then every path's fills are the same, the recorded path's are those of replay_alternatives
    assert pooled == inline
    assert inline[0] == [fills(r) for r in replay_alternatives(MARKET, PLAN, alternatives)]
    assert inline[1] != inline[2] != inline[0]  # each path is a future of its own
    # and progress rises to its total either way: the steps before the start, then each path's windows
    total = 24 + 3 * 2 * 36
    assert inline_progress == sorted(inline_progress) and inline_progress[-1] == total
    assert pooled_progress == sorted(pooled_progress) and pooled_progress[-1] == total


def test_a_pov_from_the_open_takes_its_share_of_the_continuous_market_not_of_the_opening_print():
    # given a POV 10% buy of 3,000 shares from the open, whose cross prints a few hundred thousand
    plan = dataclasses.replace(
        PLAN, strategy="POV", pov_rate=0.1, start_ns=OPEN_NS, end_ns=OPEN_NS + 30 * 60 * NS_PER_S
    )

    # when it runs alone on the market from the open
    (run,) = replay_alternatives(MARKET, plan, [Alternative("POV", "POV")])

    # then it kept pace with the busy market after the cross (about 30,000 shares in 25 s here),
    # where a tenth of the opening print had it sweep all 3,000 in its first two seconds
    first_seconds = sum(f.quantity for f in run.fills if f.time_ns < OPEN_NS + 3 * NS_PER_S)
    assert sum(f.quantity for f in run.fills) == 3_000
    assert first_seconds < 1_000
    assert max(f.time_ns for f in run.fills) > OPEN_NS + 15 * NS_PER_S
