import pickle
import random

from routing.engine import WorkingParent, run_step
from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS
from routing.market.simulator import MarketSimulator
from routing.market.venues import DEFAULT_VENUES

STEP = 5 * NS_PER_S


def new_sim():
    return MarketSimulator(
        venues=DEFAULT_VENUES, reference_ticks=10_000, open_ns=OPEN_NS, close_ns=CLOSE_NS, warm_up_seed=7
    )


def run(sim, steps, first_step=0, parent_filled=0):
    outcomes = []
    for step in range(first_step, first_step + steps):
        parent = WorkingParent(1, 1, 10_000, parent_filled, None, OPEN_NS, OPEN_NS + 600 * NS_PER_S, 1)
        out = run_step(sim, [parent], end_ns=sim.clock_ns + STEP, rng=random.Random(f"42:{step}"))
        parent_filled += sum(f.quantity for f in out.fills)
        outcomes.append(out)
    return outcomes, parent_filled


def test_same_seed_same_day():
    a, _ = run(new_sim(), 60)
    b, _ = run(new_sim(), 60)
    assert a == b


def test_checkpoint_resume_is_identical_to_an_uninterrupted_run():
    uninterrupted, _ = run(new_sim(), 80)
    sim = new_sim()
    first, filled = run(sim, 40)
    resumed = pickle.loads(pickle.dumps(sim))
    second, _ = run(resumed, 40, first_step=40, parent_filled=filled)
    assert first + second == uninterrupted


def test_consolidated_book_never_crosses_and_trades_happen():
    sim = new_sim()
    outcomes, filled = run(sim, 200)
    assert sum(o.bar.volume for o in outcomes) > 0
    for o in outcomes:
        assert o.bar.bid is not None and o.bar.ask is not None
        assert o.bar.bid < o.bar.ask
    assert filled > 0


def test_twap_parent_completes_and_never_overfills():
    sim = new_sim()
    outcomes, filled = run(sim, 130)  # the 10-minute schedule ends at step 120
    assert filled == 10_000
    for o in outcomes:
        for child in o.children:
            assert sum(f.quantity for f in o.fills if f.child_seq == child.seq) == child.filled <= child.quantity
