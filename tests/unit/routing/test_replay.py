"""Counterfactual replay: alternatives face the same seeded market and do not leak into each other."""

from decimal import Decimal

import pytest

from routing.engine.state import ParentPlan
from routing.market.book import BUY
from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS
from routing.replay import Alternative, Replay, ReplayError, ReplayMarket, replay_alternatives
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
    together = replay_alternatives(
        MARKET, PLAN, alternatives_for("TWAP", pov_rate=0.1)[:3:2], progress=lambda d, t: seen.append((d, t))
    )
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
