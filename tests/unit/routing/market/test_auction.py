import itertools
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.market.auction import AuctionOrder, indicate, uncross
from routing.market.book import BUY, SELL


def orders(*rows):
    return [AuctionOrder(i, side, price, quantity, f"o{i}") for i, (side, price, quantity) in enumerate(rows, 1)]


def test_the_price_that_executes_most_wins_and_the_market_orders_go_first():
    # given: 300 to buy at market, limits either side of 100
    book = orders((BUY, None, 300), (BUY, 101, 200), (SELL, 99, 400), (SELL, 100, 300), (SELL, 102, 500))
    # when
    result = uncross(book, reference=100)
    # then: 100 and 101 both pair 500 with 200 offered over: sellers are left over, so the lower
    assert result.indication == (100, -200, 500)
    fills = [(e.buy.order_id, e.sell.order_id, e.quantity) for e in result.executions]
    assert fills == [(1, 3, 300), (2, 3, 100), (2, 4, 100)]


def test_ties_go_to_the_smaller_surplus_then_market_pressure_then_the_reference():
    # surplus first: 100 pairs 300 with 200 bid over, 102 with 200 offered over; 101 pairs 300 with none
    surplus = orders((BUY, 100, 200), (BUY, 102, 300), (SELL, 100, 300), (SELL, 102, 200))
    assert indicate(surplus, reference=90) == (101, 0, 300)
    buyers_over = orders((BUY, 102, 500), (SELL, 100, 300))
    assert indicate(buyers_over, reference=90) == (102, 200, 300)  # 100..102 pair 300, buyers over: highest
    sellers_over = orders((BUY, 102, 300), (SELL, 100, 500))
    assert indicate(sellers_over, reference=110) == (100, -200, 300)
    balanced = orders((BUY, 102, 300), (SELL, 100, 300))
    assert indicate(balanced, reference=101).price == 101
    assert indicate(balanced, reference=90).price == 100
    assert indicate(balanced, reference=150).price == 102


def test_nothing_pairs_without_a_cross_and_only_market_orders_pair_at_the_reference():
    assert indicate(orders((BUY, 99, 100), (SELL, 101, 100)), reference=100) == (None, 0, 0)
    assert indicate(orders((BUY, None, 300)), reference=100) == (None, 300, 0)
    assert indicate(orders((BUY, None, 300), (SELL, None, 100)), reference=100) == (100, 200, 100)


order_rows = st.lists(
    st.tuples(
        st.sampled_from([BUY, SELL]),
        st.one_of(st.none(), st.integers(95, 105)),
        st.integers(1, 1_000),
    ),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(rows=order_rows, reference=st.integers(93, 107))
def test_uncross_pairs_the_most_at_one_price_that_respects_every_limit_and_priority(rows, reference):
    book = orders(*rows)
    result = uncross(book, reference)
    price, imbalance, paired = result.indication

    def demand_supply(p):
        demand = sum(o.quantity for o in book if o.side == BUY and (o.price is None or o.price >= p))
        supply = sum(o.quantity for o in book if o.side == SELL and (o.price is None or o.price <= p))
        return demand, supply

    # the most any single price could pair, over every price there is
    limits = [o.price for o in book if o.price is not None] + [reference]
    prices = range(min(limits), max(limits) + 1)  # an auction prices within its limits and reference
    most = max(min(demand_supply(p)) for p in prices)
    assert paired == most
    if not paired:
        assert price is None and result.executions == []
        return
    demand, supply = demand_supply(price)
    assert min(demand, supply) == paired and demand - supply == imbalance
    # no price pairing as much leaves a smaller surplus
    assert all(abs(d - s) >= abs(imbalance) for d, s in map(demand_supply, prices) if min(d, s) == paired)

    executed = defaultdict(int)
    for e in result.executions:
        assert e.buy.side == BUY and e.sell.side == SELL and e.quantity > 0
        assert e.buy.price is None or e.buy.price >= price
        assert e.sell.price is None or e.sell.price <= price
        executed[e.buy.order_id] += e.quantity
        executed[e.sell.order_id] += e.quantity
    assert sum(e.quantity for e in result.executions) == paired
    assert sum(executed[o.order_id] for o in book if o.side == BUY) == paired
    assert sum(executed[o.order_id] for o in book if o.side == SELL) == paired

    def rank(o):
        return (0, 0, o.order_id) if o.price is None else (1, -o.side * o.price, o.order_id)

    for side in (BUY, SELL):
        ranked = sorted((o for o in book if o.side == side), key=rank)
        for better, worse in itertools.pairwise(ranked):
            assert executed[better.order_id] <= better.quantity
            if executed[worse.order_id]:  # priority: nobody ahead is left with shares to do
                assert executed[better.order_id] == better.quantity
