"""A parent's TCA figures from plain facts, no database: the path every report and the recorded
side of every comparison take."""

from datetime import date
from decimal import Decimal

import pytest

from routing.market.clock import NS_PER_S, OPEN_NS, to_datetime
from tca.figures import (
    ChildFacts,
    CrossFacts,
    DayTape,
    DeskTally,
    ExecutionFacts,
    FillFacts,
    OrderFacts,
    ParentFacts,
    parent_figures,
)
from tca.metrics import performance_bps
from tca.tape import Tape, TapeBar

DAY = date(2026, 12, 1)
D = Decimal


def at(seconds: float):
    return to_datetime(DAY, OPEN_NS + int(seconds * NS_PER_S))


def tape() -> DayTape:
    """Ten one-second bars of 1,000 shares, the price a cent higher each second, a 2-cent spread."""
    bars = []
    for s in range(10):
        price = D("100.00") + D("0.01") * s
        start = OPEN_NS + s * NS_PER_S
        bars.append(TapeBar(start, start + NS_PER_S, 1_000, 1_000 * price, price - D("0.01"), price + D("0.01")))
    return DayTape(DAY, Tape(bars), day_vwap=D("100.045"), close=None, open=D("99.98"))


@pytest.fixture
def facts() -> ExecutionFacts:
    # A buy of 1,000: 200 crossed internally at 100.01, 500 taken on NYSE, 300 crossed dark.
    parent = ParentFacts(
        id=7,
        instrument="XOM",
        side="BUY",
        strategy="TWAP",
        status="FILLED",
        complete=True,
        quantity=1_000,
        filled_quantity=1_000,
        filled_notional=200 * D("100.01") + 500 * D("100.02") + 300 * D("100.00"),
        crossed_quantity=200,
        fees=D("1.80"),
        arrival_price=D("100.00"),
        start=at(0),
        end=at(600),
        finished=at(10),
    )
    return ExecutionFacts(
        parent=parent,
        day=tape(),
        children=[
            ChildFacts(1, at(2), at(2.5), "NYSE", "AGGRESSIVE", "IOC", 500, 500),
            ChildFacts(2, at(3), at(4), "DARKX", "DARK", "MIDPEG", 400, 300),
            ChildFacts(3, at(5), at(9), "NASDAQ", "PASSIVE", "LIMIT", 100, 0),
        ],
        fills=[
            FillFacts(11, 1, at(2.5), "NYSE", "T", 500, D("100.02"), D("1.50")),
            FillFacts(12, 2, at(4), "DARKX", "T", 300, D("100.00"), D("0.30")),
        ],
        orders=[
            OrderFacts(21, "A", "trader1", "T1-GROWTH", "BUY", 600, D("99.99"), 600, D("60007.2"), 480),
            OrderFacts(22, "B", "trader2", "T2-MACRO", "BUY", 400, None, 400, D("40004.8"), 320),
        ],
        crosses=[CrossFacts(200, D("100.00"), D("100.02"))],
    )


def test_the_parent_is_measured_against_its_interval_on_the_tape(facts):
    report = parent_figures(facts)

    assert report.benchmarks["interval_vwap"] == D("100.045")  # the ten bars of its life
    assert report.benchmarks["arrival"] == D("100.00")
    assert report.market_volume == 10_000
    assert report.participation == D("0.08")  # 800 market shares of 10,000
    assert report.performance_bps["interval_vwap"] == performance_bps("BUY", D("100.012"), D("100.045"))
    assert report.cross_savings == D("4.00")  # half the 2-cent spread on both legs of 200 shares
    assert report.unfilled_children == 1
    # and against the day's official open: bought 3.2 cents above it
    assert report.benchmarks["open"] == D("99.98")
    assert report.performance_bps["open"] == performance_bps("BUY", D("100.012"), D("99.98")) < 0


def test_venues_add_up_to_the_market_fills_and_children(facts):
    report = parent_figures(facts)

    assert {v: (f.quantity, f.children_sent, f.children_filled) for v, f in report.venues.items()} == {
        "DARKX": (300, 1, 1),
        "NASDAQ": (0, 1, 0),
        "NYSE": (500, 1, 1),
    }
    assert report.totals.quantity == 800
    assert report.totals.fees == D("1.80")
    nyse = report.fills[0]
    assert nyse.child_vwap == D("100.02")  # the bar the child lived in
    assert nyse.markout_mids[1] == D("100.03")  # the mid at the end of the bar one second later
    assert nyse.markout_mids[30] is None  # the tape has ended


def test_orders_share_the_fees_by_market_shares_and_their_shortfalls_make_the_parents(facts):
    report = parent_figures(facts)

    a, b = report.orders
    assert (a.filled, a.crossed, a.shortfall.fees) == (600, 120, D("1.08"))  # 1.80 x 480 / 800
    assert (b.filled, b.crossed, b.shortfall.fees) == (400, 80, D("0.72"))  # the remainder
    assert a.decision_price == D("99.99") and b.decision_price == D("100.00")  # its own, else the parent's
    assert report.shortfall == a.shortfall + b.shortfall
    assert report.totals.shortfall == report.shortfall


def test_a_desk_adds_parents_up_by_algorithm_venue_instrument_and_day(facts):
    tally = DeskTally()
    tally.add(parent_figures(facts))
    tally.add(parent_figures(facts))
    desk = tally.report()

    assert [p.parent_id for p in desk.parents] == [7, 7]
    assert desk.by_algorithm["TWAP"].quantity == 1_600
    assert desk.by_venue["NYSE"].quantity == 1_000
    assert desk.by_instrument["XOM"].parents == 2
    assert desk.by_day["2026-12-01"].fees == D("3.60")
