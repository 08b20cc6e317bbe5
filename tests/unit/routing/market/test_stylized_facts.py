"""Stylized facts of a simulated day (fixed seeds): the market the algorithms face looks
like a real continuous session. Each figure's band is from the simulator's issue."""

import copy
import itertools
import math
import random
import statistics

import pytest

from routing.market.book import BUY, IOC
from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS
from routing.market.messages import FILLED
from routing.market.simulator import MarketSimulator
from routing.market.venues import DEFAULT_VENUES

MINUTE = 60 * NS_PER_S


class RecordingSimulator(MarketSimulator):
    """Notes the time of every background event, for the inter-arrival statistics."""

    def __init__(self, **kwargs):
        self.event_times: list[int] = []
        super().__init__(**kwargs)

    def _background_event(self, rng, prints):
        self.event_times.append(self.clock_ns)
        return super()._background_event(rng, prints)


def new_sim(seed, cls=MarketSimulator):
    return cls(venues=DEFAULT_VENUES, reference_ticks=10_000, open_ns=OPEN_NS, close_ns=CLOSE_NS, warm_up_seed=seed)


@pytest.fixture(scope="module")
def day():
    """One whole day in one-second steps: volume per minute, the quoted spread each second
    (bps of the mid), the mid at each minute's end and every event time."""
    sim = new_sim(11, RecordingSimulator)
    minutes = (CLOSE_NS - OPEN_NS) // MINUTE
    volume = [0] * minutes
    spreads_bps, minute_mids = [], []
    for second in range(minutes * 60):
        for p in sim.run_until(OPEN_NS + (second + 1) * NS_PER_S, random.Random(f"facts:{second}")):
            volume[min(minutes - 1, (p.time_ns - OPEN_NS) // MINUTE)] += p.quantity
        bid, ask = sim.nbbo()
        spreads_bps.append((ask - bid) / ((ask + bid) / 2) * 1e4)
        if (second + 1) % 60 == 0:
            minute_mids.append((ask + bid) / 2)
    return {"volume": volume, "spreads_bps": spreads_bps, "minute_mids": minute_mids, "events": sim.event_times}


def test_volume_follows_the_intraday_u_curve(day):
    volume = day["volume"]
    total = sum(volume)
    half_hours = [sum(volume[i : i + 30]) / total for i in range(0, len(volume), 30)]

    assert len(half_hours) == 13
    assert 0.06 <= half_hours[0] <= 0.12
    assert 0.15 <= half_hours[-1] <= 0.28
    assert 0.025 <= min(half_hours) <= 0.05


def test_quoted_spread_is_a_few_bps(day):
    assert all(s > 0 for s in day["spreads_bps"])  # never locked or crossed across venues
    assert 1.0 <= statistics.median(day["spreads_bps"]) <= 15.0


def test_one_minute_mid_volatility(day):
    mids = day["minute_mids"]
    returns_bps = [math.log(b / a) * 1e4 for a, b in itertools.pairwise(mids)]

    assert 3.0 <= statistics.pstdev(returns_bps) <= 15.0


def test_arrivals_are_bursty(day):
    """A Poisson flow has a coefficient of variation of 1; clustered arrivals exceed it."""
    events = day["events"]
    gaps = [b - a for a, b in itertools.pairwise(events)]

    assert len(events) > 300_000
    assert statistics.pstdev(gaps) / statistics.mean(gaps) > 1.5


def _metaorder_impact_ticks(warmed: MarketSimulator, seed: int, quantity: int) -> tuple[int, float]:
    """Buy ``quantity`` as 60 IOC slices every 30 s, then return the shares executed and
    the mean mid over the following minute."""
    sim = copy.deepcopy(warmed)
    slice_quantity = quantity // 60
    for i in range(60):
        rng = random.Random(f"meta:{seed}:{i}")
        if slice_quantity:
            _, ask = sim.nbbo()
            venue = min(sim.books, key=lambda code: sim.books[code].best_ask() or math.inf)
            sim.send_order(
                rng, venue=venue, side=BUY, quantity=slice_quantity, price_half_ticks=2 * (ask + 5), owner="us", tif=IOC
            )
        sim.run_until(sim.clock_ns + 30 * NS_PER_S, rng)
    executed = sum(r.quantity for r in sim.take_reports(CLOSE_NS * 2) if r.kind == FILLED)
    mids = []
    for second in range(60):
        sim.run_until(sim.clock_ns + NS_PER_S, random.Random(f"meta:{seed}:after:{second}"))
        mids.append(sim.mid_ticks_x2() / 2)
    return executed, statistics.mean(mids)


def test_metaorder_impact_is_concave_in_size():
    """Impact = the mid after a metaorder minus the mid on the same seed without it (the
    news path does not depend on trading), averaged over seeds; fitted as a power of the
    executed size on a log-log scale."""
    sizes = (6_000, 24_000, 96_000, 384_000)
    seeds = (1, 2, 3, 4)
    executed = {q: [] for q in sizes}
    impact = {q: [] for q in sizes}
    for seed in seeds:
        warmed = new_sim(seed)
        warmed.run_until(OPEN_NS + 60 * MINUTE, random.Random(f"meta:{seed}:warm"))
        _, untouched_mid = _metaorder_impact_ticks(warmed, seed, 0)
        for q in sizes:
            done, mid = _metaorder_impact_ticks(warmed, seed, q)
            executed[q].append(done)
            impact[q].append(mid - untouched_mid)

    xs = [math.log(statistics.mean(executed[q])) for q in sizes]
    ys = [math.log(statistics.mean(impact[q])) for q in sizes]
    mean_x, mean_y = statistics.mean(xs), statistics.mean(ys)
    power = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum((x - mean_x) ** 2 for x in xs)

    assert all(statistics.mean(impact[q]) > 0 for q in sizes)  # buying lifts the price
    assert 0.35 <= power <= 0.7
