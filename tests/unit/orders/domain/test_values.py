import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders.domain.aggregation import PendingOrder, group_orders
from orders.domain.values import PriceError, Side, parse_decimal, price_to_ticks
from tca.metrics import performance_bps, vwap

# The source description's five child orders of a 50,000-share VWAP buy.
SOURCE_CHILDREN = [
    ("100.005", "100.010", "0.5"),
    ("100.020", "100.022", "0.2"),
    ("100.045", "100.050", "0.5"),
    ("100.120", "100.115", "-0.5"),
    ("100.210", "100.211", "0.1"),
]


@pytest.mark.parametrize("price,benchmark,expected", SOURCE_CHILDREN)
def test_source_table_performance_in_bps(price, benchmark, expected):
    result = performance_bps("BUY", Decimal(price), Decimal(benchmark))
    assert result.quantize(Decimal("0.1")) == Decimal(expected)


def test_a_sell_above_the_benchmark_is_positive():
    assert performance_bps("SELL", Decimal("100.02"), Decimal("100.00")) == Decimal(2)
    assert performance_bps(Side.BUY, Decimal("100.02"), Decimal("100.00")) == Decimal(-2)


def test_vwap_is_quantity_weighted():
    assert vwap([(100, Decimal("10.00")), (300, Decimal("10.04"))]) == Decimal("10.03")
    assert vwap([]) is None


def test_prices_parse_exactly_and_off_tick_is_refused():
    assert price_to_ticks(parse_decimal("100.05"), Decimal("0.01")) == 10_005
    with pytest.raises(PriceError):
        price_to_ticks(parse_decimal("100.005"), Decimal("0.01"))
    with pytest.raises(PriceError):
        parse_decimal("NaN")
    with pytest.raises(TypeError):
        parse_decimal(100.05)


@given(st.lists(st.tuples(st.sampled_from(["AAA", "BBB"]), st.sampled_from(list(Side)), st.integers(1, 10_000))))
def test_grouping_conserves_quantity_per_instrument_and_side(rows):
    orders = [PendingOrder(i, sym, side, "TWAP", None, q) for i, (sym, side, q) in enumerate(rows)]
    groups = group_orders(orders)
    for sym in ("AAA", "BBB"):
        for side in Side:
            submitted = sum(o.quantity for o in orders if o.instrument == sym and o.side == side)
            grouped = sum(g.quantity for g in groups if g.key.instrument == sym and g.key.side == side)
            assert grouped == submitted
    assert sorted(k for g in groups for k in g.order_keys) == list(range(len(orders)))


def test_pure_core_imports_without_django():
    code = (
        "import sys, orders.domain.allocation, orders.domain.aggregation, orders.domain.urgency, "
        "routing.engine.step, routing.opening, routing.replay, routing.sor, routing.market.simulator, "
        "tca.metrics, tca.tape, tca.counterfactual; "
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if m.startswith('django'))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={"PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1e999999999999999999", "out of range: '1e999999999999999999'"),
        ("1e1000000", "out of range: '1e1000000'"),  # nine characters; as an int, a million digits
        ("9" * 5_000, "not a number of at most 40 characters"),
        ("1E-99999", "more than 12 decimal places: '1E-99999'"),
        ("1000000000000000000", "out of range: '1000000000000000000'"),
    ],
)
def test_numbers_too_long_or_too_large_are_refused_before_any_arithmetic(text, reason):
    with pytest.raises(PriceError) as refused:
        parse_decimal(text)
    assert str(refused.value) == reason


@pytest.mark.parametrize("text", ["190.01", "1e2", "0.000000000001", "999999999999999999"])
def test_ordinary_numbers_still_parse(text):
    assert parse_decimal(text) == Decimal(text)
