"""TCA math against hand-computed values."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tca.metrics import (
    Tally,
    implementation_shortfall,
    markout_bps,
    performance_bps,
    spread_capture,
    twap,
)
from tca.tape import Tape, TapeBar

SOURCE_CHILDREN = [  # the source description's table: buy price, benchmark VWAP, performance (bps)
    ("100.005", "100.010", "0.5"),
    ("100.020", "100.022", "0.2"),
    ("100.045", "100.050", "0.5"),
    ("100.120", "100.115", "-0.5"),
    ("100.210", "100.211", "0.1"),
]


@pytest.mark.parametrize(("price", "benchmark", "expected"), SOURCE_CHILDREN)
def test_the_source_children_perform_as_its_table_says(price, benchmark, expected):
    assert performance_bps("BUY", D(price), D(benchmark)).quantize(D("0.1")) == D(expected)


def test_the_source_total_is_quantity_weighted_not_an_average_of_averages():
    # given the five children with different sizes
    sizes = [100, 200, 300, 400, 500]
    tally = Tally()
    for (price, benchmark, _), size in zip(SOURCE_CHILDREN, sizes, strict=True):
        tally.add("BUY", size, D(price), D(benchmark))
    # then the total is the average price against the size-weighted benchmark
    average = 100 * D("100.005") + 200 * D("100.020") + 300 * D("100.045") + 400 * D("100.120") + 500 * D("100.210")
    average /= 1500
    benchmark = (
        100 * D("100.010") + 200 * D("100.022") + 300 * D("100.050") + 400 * D("100.115") + 500 * D("100.211")
    ) / 1500
    assert tally.average_price == average
    assert tally.benchmark == benchmark
    assert tally.performance_bps == performance_bps("BUY", average, benchmark)
    # sum(q*(b-p)) / sum(q*b) * 1e4 = (0.5 + 0.4 + 1.5 - 2.0 + 0.5) / 150,171.9 * 1e4
    assert tally.performance_bps.quantize(D("0.0001")) == D("0.0599")


def test_a_sell_performs_better_above_the_benchmark():
    assert performance_bps("SELL", D("100.02"), D("100.00")) == D("2")
    assert performance_bps("BUY", D("100.02"), D("100.00")) == D("-2")


def test_mixed_sides_add_up_in_money():
    tally = Tally()
    tally.add("BUY", 100, D("10.00"), D("10.01"))  # 1 cent better on 100 shares: +1.00
    tally.add("SELL", 300, D("10.00"), D("10.01"))  # 1 cent worse on 300 shares: -3.00
    assert tally.gain == D("-2.00")
    assert tally.performance_bps == D("-2.00") / D("4004") * 10_000


def test_implementation_shortfall_decomposes_exactly():
    # given a buy of 1,000 decided at 50.00, started at 50.02, 600 bought for 30,030.00
    # (average 50.05), the rest left while the price went to 50.10, and 3.00 of fees
    shortfall = implementation_shortfall(
        side="BUY",
        quantity=1_000,
        decision_price=D("50.00"),
        arrival_price=D("50.02"),
        executed_quantity=600,
        executed_notional=D("30030.00"),
        end_price=D("50.10"),
        fees=D("3.00"),
    )
    assert shortfall.delay == D("20.00")  # 1,000 x 0.02
    assert shortfall.trading == D("18.00")  # 30,030 - 600 x 50.02
    assert shortfall.opportunity == D("32.00")  # 400 x (50.10 - 50.02)
    assert shortfall.fees == D("3.00")
    # the paper shortfall: 30,030 - 600 x 50 + 400 x (50.10 - 50.00) + 3 = 73.00
    assert shortfall.total == D("73.00")
    assert shortfall.delay_bps == D("4.0000")  # of the 50,000 paper portfolio
    assert shortfall.trading_bps == D("3.6000")
    assert shortfall.opportunity_bps == D("6.4000")
    assert shortfall.fees_bps == D("0.6000")
    assert shortfall.total_bps == D("14.6000")


def test_a_sell_shortfall_is_a_cost_when_the_price_falls():
    shortfall = implementation_shortfall(
        side="SELL",
        quantity=100,
        decision_price=D("20.00"),
        arrival_price=D("19.99"),
        executed_quantity=100,
        executed_notional=D("1998.00"),
        end_price=D("19.90"),
        fees=D("0"),
    )
    assert (shortfall.delay, shortfall.trading, shortfall.opportunity) == (D("1.00"), D("1.00"), D("0.00"))


@given(
    side=st.sampled_from(["BUY", "SELL"]),
    quantity=st.integers(1, 10_000),
    executed_share=st.fractions(0, 1),
    prices=st.lists(st.decimals("1.00", "500.00", places=2), min_size=4, max_size=4),
    fees=st.decimals("-5", "50", places=4),
)
def test_shortfall_parts_always_sum_to_the_paper_shortfall(side, quantity, executed_share, prices, fees):
    decision, arrival, average, end = prices
    executed = int(quantity * executed_share)
    shortfall = implementation_shortfall(
        side=side,
        quantity=quantity,
        decision_price=decision,
        arrival_price=arrival,
        executed_quantity=executed,
        executed_notional=executed * average,
        end_price=end,
        fees=fees,
    )
    sign = 1 if side == "BUY" else -1
    paper = sign * (executed * average - executed * decision + (quantity - executed) * (end - decision)) + fees
    assert shortfall.total == paper
    assert shortfall.total_bps == (
        shortfall.delay_bps + shortfall.trading_bps + shortfall.opportunity_bps + shortfall.fees_bps
    )


def test_markouts_and_spread_capture_signs():
    assert markout_bps("BUY", D("100.00"), D("100.01")) > 0  # bought, then the mid rose: our way
    assert markout_bps("SELL", D("100.00"), D("100.01")) < 0  # sold, then it rose: adverse selection
    bid, ask = D("99.99"), D("100.01")
    assert spread_capture("BUY", D("99.99"), bid, ask) == 1
    assert spread_capture("BUY", D("100.00"), bid, ask) == 0
    assert spread_capture("BUY", D("100.01"), bid, ask) == -1
    assert spread_capture("SELL", D("100.01"), bid, ask) == 1
    assert spread_capture("BUY", D("100.00"), D("100.00"), D("100.00")) is None  # locked: no spread


def tape():
    # three one-second bars from t=0: 100 @ 10.00, nothing, 300 @ 10.04
    bar = TapeBar
    return Tape(
        [
            bar(0, 10, 100, D("1000.00"), D("9.99"), D("10.01")),
            bar(10, 20, 0, D("0"), D("10.00"), D("10.02")),
            bar(20, 30, 300, D("3012.00"), D("10.03"), D("10.05")),
        ]
    )


def test_tape_interval_vwap_twap_and_mid():
    t = tape()
    assert t.vwap(0, 30) == D("4012.00") / 400
    assert t.vwap(10, 20) is None  # only the silent bar
    assert t.vwap(5, 5) == D("10.00")  # an instant gets the bar it falls in
    assert t.vwap(15, 25) == D("10.04")
    assert t.volume(0, 30) == 400
    assert t.twap(0, 30) == (D("10.00") + D("10.01") + D("10.04")) / 3
    assert t.mid_at(11) == D("10.01")  # the next bar end at or after 11 is 20
    assert t.mid_at(10) == D("10.00")
    assert t.mid_at(21) == D("10.04")
    assert t.mid_at(31) is None
    assert t.quote_before(25) == (D("10.00"), D("10.02"))
    assert t.day_vwap == D("10.03")
    assert t.last_mid == D("10.04")
    assert twap([]) is None
