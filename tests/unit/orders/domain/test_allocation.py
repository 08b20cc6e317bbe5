from hypothesis import given
from hypothesis import strategies as st

from orders.domain.allocation import Demand, allocate_pro_rata


def test_pro_rata_by_remaining_with_largest_remainder():
    # given three orders wanting 500, 300 and 200 shares
    demands = [Demand("a", 500), Demand("b", 300), Demand("c", 200)]
    # when 101 shares are filled
    result = allocate_pro_rata(101, demands)
    # then 50.5 / 30.3 / 20.2 become 51 / 30 / 20: the largest remainder gets the odd share
    assert result == {"a": 51, "b": 30, "c": 20}


def test_tie_goes_to_the_earliest_order():
    demands = [Demand("early", 100), Demand("late", 100)]
    assert allocate_pro_rata(1, demands) == {"early": 1}


def test_whole_lots_only():
    demands = [Demand("a", 300), Demand("b", 300), Demand("c", 300)]
    assert allocate_pro_rata(200, demands, lot_size=100) == {"a": 100, "b": 100}


def test_refuses_more_than_wanted():
    try:
        allocate_pro_rata(11, [Demand("a", 10)])
    except ValueError as exc:
        assert "cannot allocate 11" in str(exc)
    else:
        raise AssertionError("over-allocation was accepted")


@st.composite
def fills_and_demands(draw):
    lot = draw(st.sampled_from([1, 10, 100]))
    lots = draw(st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=60))
    demands = [Demand(i, n * lot) for i, n in enumerate(lots)]
    quantity = draw(st.integers(min_value=0, max_value=sum(lots))) * lot
    return quantity, demands, lot


@given(fills_and_demands())
def test_allocation_is_exact_and_never_exceeds_remaining(case):
    quantity, demands, lot = case
    result = allocate_pro_rata(quantity, demands, lot_size=lot)
    assert sum(result.values()) == quantity
    wanted = {d.key: d.remaining for d in demands}
    for key, shares in result.items():
        assert 0 < shares <= wanted[key]
        assert shares % lot == 0


@given(fills_and_demands())
def test_allocation_is_within_one_lot_of_exact_pro_rata(case):
    quantity, demands, lot = case
    total = sum(d.remaining for d in demands)
    result = allocate_pro_rata(quantity, demands, lot_size=lot)
    for d in demands:
        exact = quantity * d.remaining / total if total else 0
        assert abs(result.get(d.key, 0) - exact) < lot + 1e-9
