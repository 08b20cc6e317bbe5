"""Pure intake parsing, netting/crossing and batch allocation: exact cases and invariants."""

from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders.domain.aggregation import PendingOrder, plan_window
from orders.domain.allocation import Demand, Supply, allocate_fills, allocate_pro_rata, pro_rata_lots
from orders.domain.instructions import VenueSet
from orders.domain.intake import FieldError, InstrumentSpec, OrderRequest, parse_order_row
from orders.domain.values import Side

AAPL = InstrumentSpec("AAPL", Decimal("0.01"), 1, Decimal("190.00"))
ODD = InstrumentSpec("ODD", Decimal("0.05"), 100, Decimal("20.00"))
SPECS = {"AAPL": AAPL, "ODD": ODD}
VENUES = VenueSet(lit=frozenset({"NYSE", "NASDAQ"}), dark=frozenset({"DARKX"}))
ROW = {
    "client_order_id": "C-1",
    "instrument": "aapl",
    "side": "buy",
    "quantity": "250",
    "limit_price": "190.10",
    "strategy": "",
    "urgency": "low",
    "account": "T1-GROWTH",
}


def parse(**changes):
    return parse_order_row({**ROW, **changes}, instruments=SPECS, accounts={"T1-GROWTH"}, venues=VENUES)


def test_a_good_row_is_normalized_and_gets_its_strategy_from_urgency():
    assert parse() == OrderRequest(
        client_order_id="C-1",
        account="T1-GROWTH",
        instrument="AAPL",
        side=Side.BUY,
        quantity=250,
        limit_price=Decimal("190.10"),
        strategy="VWAP",
        urgency="LOW",
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"quantity": "0"}, [FieldError("quantity", "must be a positive whole number of shares")]),
        ({"quantity": "12.5"}, [FieldError("quantity", "must be a positive whole number of shares")]),
        ({"quantity": "ten"}, [FieldError("quantity", "not a number: 'ten'")]),
        ({"quantity": 10.0}, [FieldError("quantity", "binary floats are not accepted for prices or quantities")]),
        ({"quantity": ""}, [FieldError("quantity", "is required")]),
        (
            {"instrument": "ODD", "quantity": "150", "limit_price": ""},
            [FieldError("quantity", "must be a multiple of the lot size 100")],
        ),
        ({"limit_price": "190.123"}, [FieldError("limit_price", "price 190.123 is not a multiple of the tick 0.01")]),
        ({"limit_price": "-1"}, [FieldError("limit_price", "price must be positive, got -1")]),
        ({"side": "HOLD"}, [FieldError("side", "must be BUY or SELL")]),
        ({"strategy": "SNIPER"}, [FieldError("strategy", "must be one of TWAP, VWAP, POV, IS, OPEN, CLOSE")]),
        ({"urgency": "ASAP"}, [FieldError("urgency", "must be one of LOW, MEDIUM, HIGH")]),
        ({"account": "T2-MACRO"}, [FieldError("account", "no account T2-MACRO of yours")]),
        ({"instrument": "ZZZZ"}, [FieldError("instrument", "unknown instrument ZZZZ")]),
        (
            {"client_order_id": "has space"},
            [
                FieldError(
                    "client_order_id",
                    "must be 1-64 letters, digits or . _ : / - and start with a letter or digit",
                )
            ],
        ),
        (
            {"client_order_id": None, "side": None},
            [
                FieldError("client_order_id", "is required"),
                FieldError("side", "is required"),
            ],
        ),
    ],
)
def test_each_bad_field_is_named_with_its_reason(changes, expected):
    assert parse(**changes) == expected


def test_explicit_strategy_wins_and_the_limit_is_spelt_on_the_tick():
    request = parse(strategy="pov", limit_price="190.1")
    assert request.strategy == "POV"
    assert str(request.limit_price) == "190.10"


def pending(key, side, quantity, limit=None, instrument="AAPL", strategy="TWAP"):
    return PendingOrder(key, instrument, Side(side), strategy, None if limit is None else Decimal(limit), quantity)


def test_opposing_orders_cross_at_the_mid_and_only_the_net_goes_to_market():
    # given buys of 300 + 100 and a sell of 250 (market orders), the mid at 190.005
    orders = [pending(1, "BUY", 300), pending(2, "SELL", 250), pending(3, "BUY", 100)]
    # when the window is planned
    plan = plan_window(orders, mids={"AAPL": Decimal("190.005")}, lot_sizes={"AAPL": 1})
    # then 250 cross at the mid, spread over the buys pro rata (187.5 / 62.5 -> 188 / 62)
    (cross,) = plan.crosses
    assert (cross.price, cross.quantity, cross.buys, cross.sells) == (
        Decimal("190.005"),
        250,
        {1: 188, 3: 62},
        {2: 250},
    )
    groups = {g.key.side: (g.quantity, g.crossed) for g in plan.groups}
    assert groups == {Side.BUY: (400, 250), Side.SELL: (250, 250)}


def test_a_limit_the_mid_violates_keeps_the_order_out_of_the_cross():
    orders = [pending(1, "BUY", 100, limit="190.00"), pending(2, "SELL", 100), pending(3, "BUY", 40, limit="190.01")]
    (cross,) = plan_window(orders, mids={"AAPL": Decimal("190.005")}, lot_sizes={"AAPL": 1}).crosses
    assert (cross.quantity, cross.buys, cross.sells) == (40, {3: 40}, {2: 40})


def test_no_mid_no_cross():
    orders = [pending(1, "BUY", 100), pending(2, "SELL", 100)]
    assert plan_window(orders, mids={}, lot_sizes={"AAPL": 1}).crosses == []


def test_crosses_are_in_whole_lots():
    orders = [
        pending(1, "BUY", 300, instrument="ODD"),
        pending(2, "SELL", 200, instrument="ODD"),
        pending(3, "SELL", 100, instrument="ODD"),
    ]
    (cross,) = plan_window(orders, mids={"ODD": Decimal("20.025")}, lot_sizes={"ODD": 100}).crosses
    assert (cross.quantity, cross.buys, cross.sells) == (300, {1: 300}, {2: 200, 3: 100})


@st.composite
def windows(draw):
    lot = draw(st.sampled_from([1, 100]))
    instruments = ["AAPL", "MSFT", "XOM"]
    orders = []
    for key in range(draw(st.integers(min_value=0, max_value=60))):
        limit = draw(st.one_of(st.none(), st.integers(min_value=9_990, max_value=10_010)))
        orders.append(
            PendingOrder(
                key,
                draw(st.sampled_from(instruments)),
                draw(st.sampled_from([Side.BUY, Side.SELL])),
                draw(st.sampled_from(["TWAP", "VWAP"])),
                None if limit is None else Decimal(limit) / 100,
                draw(st.integers(min_value=1, max_value=50)) * lot,
            )
        )
    mids = {i: Decimal(draw(st.integers(min_value=19_980, max_value=20_020))) / 200 for i in instruments[:2]}
    return orders, mids, {i: lot for i in instruments}


@given(windows())
def test_netting_conserves_quantity(window):
    orders, mids, lots = window
    plan = plan_window(orders, mids=mids, lot_sizes=lots)
    submitted, crossed, to_market = Counter(), Counter(), Counter()
    for order in orders:
        submitted[order.instrument, order.side] += order.quantity
    for group in plan.groups:
        crossed[group.key.instrument, group.key.side] += group.crossed
        to_market[group.key.instrument, group.key.side] += group.quantity - group.crossed
        assert 0 <= group.crossed <= group.quantity
    # crossed + sent to market = submitted, per instrument and side
    for key, quantity in submitted.items():
        assert crossed[key] + to_market[key] == quantity
    by_key = {o.key: o for o in orders}
    for cross in plan.crosses:
        # as many bought as sold, in whole lots, never beyond an order's size or limit
        assert sum(cross.buys.values()) == sum(cross.sells.values()) == cross.quantity
        assert cross.quantity % lots[cross.instrument] == 0
        for key, shares in [*cross.buys.items(), *cross.sells.items()]:
            order = by_key[key]
            assert 0 < shares <= order.quantity and shares % lots[order.instrument] == 0
            if order.limit_price is not None:
                assert cross.price <= order.limit_price if order.side is Side.BUY else cross.price >= order.limit_price
        assert cross.instrument in mids


def test_batch_allocation_merges_fills_into_pro_rata_shares():
    fills = [Supply("f1", 60), Supply("f2", 41)]
    demands = [Demand("a", 500), Demand("b", 300), Demand("c", 200)]
    # 101 shares pro rata -> a 51, b 30, c 20; fills are used in order
    assert allocate_fills(fills, demands) == [
        ("f1", "a", 51),
        ("f1", "b", 9),
        ("f2", "b", 21),
        ("f2", "c", 20),
    ]


@st.composite
def fill_batches(draw):
    lot = draw(st.sampled_from([1, 10, 100]))
    wanted = draw(st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=40))
    demands = [Demand(i, n * lot) for i, n in enumerate(wanted)]
    total = draw(st.integers(min_value=0, max_value=sum(wanted)))
    sizes = []
    while total:
        size = draw(st.integers(min_value=1, max_value=total))
        sizes.append(size)
        total -= size
    return [Supply(f"f{i}", s * lot) for i, s in enumerate(sizes)], demands, lot


@given(fill_batches())
def test_batch_allocation_uses_every_fill_exactly_and_never_overfills(batch):
    fills, demands, lot = batch
    rows = allocate_fills(fills, demands, lot)
    per_fill, per_order = Counter(), Counter()
    for fill_key, order_key, shares in rows:
        assert shares > 0 and shares % lot == 0
        per_fill[fill_key] += shares
        per_order[order_key] += shares
    assert per_fill == Counter({f.key: f.quantity for f in fills})
    for demand in demands:
        assert per_order[demand.key] <= demand.remaining


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=80), st.data())
def test_vectorized_pro_rata_equals_the_reference(wanted, data):
    import numpy as np

    lots = data.draw(st.integers(min_value=0, max_value=sum(wanted)))
    expected = allocate_pro_rata(lots, [Demand(i, w) for i, w in enumerate(wanted)])
    result = pro_rata_lots(lots, np.array(wanted, dtype=np.int64), np.arange(len(wanted)))
    assert {i: int(s) for i, s in enumerate(result) if s} == expected
