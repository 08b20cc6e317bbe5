import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.market.book import BUY, FOK, IOC, SELL, BookError, OrderBook


def test_price_time_priority_and_partial_fill():
    book = OrderBook()
    book.submit(1, SELL, 100, 10_001, "a")
    book.submit(2, SELL, 100, 10_001, "b")
    book.submit(3, SELL, 100, 10_000, "c")
    trades = book.submit(4, BUY, 150, 10_001, "us")
    # the better price first, then the earlier order at the same price, partially
    assert [(t.maker_order_id, t.price, t.quantity) for t in trades] == [(3, 10_000, 100), (1, 10_001, 50)]
    assert book.get(1).quantity == 50
    assert book.queue_ahead(2) == 50
    assert book.best_ask() == 10_001


def test_ioc_never_rests_and_limit_is_respected():
    book = OrderBook()
    book.submit(1, SELL, 100, 10_002, "a")
    trades = book.submit(2, BUY, 100, 10_001, "us", tif=IOC)
    assert trades == []
    assert book.get(2) is None
    assert book.best_bid() is None


def test_take_trades_up_to_its_limit_and_drops_the_rest():
    book = OrderBook()
    book.rest(1, SELL, 100, 10_000, "a")
    book.rest(2, SELL, 100, 10_001, "b")
    book.rest(3, SELL, 100, 10_002, "c")

    trades = book.take(4, BUY, 250, 10_001, "taker")

    assert [(t.maker_order_id, t.price, t.quantity) for t in trades] == [(1, 10_000, 100), (2, 10_001, 100)]
    assert book.get(4) is None
    assert book.depth(SELL) == [(10_002, 100)]


def test_market_order_takes_what_is_there_and_does_not_rest():
    book = OrderBook()
    book.submit(1, BUY, 30, 9_999, "a")
    trades = book.submit(2, SELL, 100, None, "us")
    assert sum(t.quantity for t in trades) == 30
    assert len(book) == 0


def test_cancel_removes_and_frees_the_level():
    book = OrderBook()
    book.submit(1, BUY, 30, 9_999, "a")
    assert book.cancel(1) == 30
    assert book.cancel(1) == 0
    assert book.best_bid() is None


@pytest.mark.parametrize("quantity,price", [(0, 100), (-5, 100), (10, 0)])
def test_rejects_bad_orders(quantity, price):
    with pytest.raises(BookError):
        OrderBook().submit(1, BUY, quantity, price, "a")


def test_fill_or_kill_is_all_or_nothing():
    book = OrderBook()
    book.submit(1, SELL, 100, 10_001, "a")
    book.submit(2, SELL, 100, 10_003, "a")
    assert book.submit(3, BUY, 150, 10_002, "us", tif=FOK) == []
    assert book.level_quantity(SELL, 10_001) == 100
    trades = book.submit(4, BUY, 150, 10_003, "us", tif=FOK)
    assert [(t.price, t.quantity) for t in trades] == [(10_001, 100), (10_003, 50)]
    assert book.get(4) is None


def test_post_only_that_would_cross_is_rejected():
    book = OrderBook()
    book.submit(1, SELL, 100, 10_001, "a")
    with pytest.raises(BookError, match="post-only order would cross"):
        book.submit(2, BUY, 100, 10_001, "us", post_only=True)
    assert book.submit(3, BUY, 100, 10_000, "us", post_only=True) == []
    assert book.best_bid() == 10_000


def test_replace_size_down_keeps_priority_price_change_loses_it():
    book = OrderBook()
    book.submit(1, BUY, 100, 10_000, "a")
    book.submit(2, BUY, 100, 10_000, "us")
    book.submit(3, BUY, 100, 10_000, "b")
    book.replace(1, quantity=40, price=10_000)
    assert book.queue_ahead(2) == 40
    assert book.level_quantity(BUY, 10_000) == 240
    book.replace(1, quantity=80, price=10_000)  # size up: to the back
    assert book.queue_ahead(1) == 200
    book.replace(2, quantity=100, price=9_999)
    assert book.queue_ahead(2) == 0 and book.best_bid() == 10_000
    with pytest.raises(BookError, match="unknown order"):
        book.replace(99, quantity=1, price=10_000)


def test_replace_to_a_marketable_price_trades():
    book = OrderBook()
    book.submit(1, SELL, 100, 10_001, "a")
    book.submit(2, BUY, 100, 9_999, "us")
    trades = book.replace(2, quantity=100, price=10_001)
    assert [(t.maker_order_id, t.taker_order_id, t.quantity) for t in trades] == [(1, 2, 100)]
    assert len(book) == 0


actions = st.lists(
    st.tuples(
        st.sampled_from(["limit", "ioc", "fok", "post", "market", "cancel", "replace"]),
        st.sampled_from([BUY, SELL]),
        st.integers(min_value=1, max_value=500),
        st.integers(min_value=9_990, max_value=10_010),
    ),
    max_size=200,
)


@settings(max_examples=200)
@given(actions)
def test_book_invariants(script):
    book = OrderBook()
    submitted: dict[int, int] = {}
    traded: dict[int, int] = {}
    for order_id, (kind, side, quantity, price) in enumerate(script, start=1):
        ahead_before = {oid: book.queue_ahead(oid) for oid in list(book._orders)}
        target = order_id // 2
        if kind == "cancel":
            book.cancel(target)
            trades = []
        elif kind == "replace":
            if book.get(target) is None:
                continue
            trades = book.replace(target, quantity=quantity, price=price)
            # a replace re-sizes what is left to trade
            submitted[target] = traded.get(target, 0) + quantity
        else:
            submitted[order_id] = quantity
            tif = {"ioc": IOC, "fok": FOK}.get(kind, "DAY")
            try:
                trades = book.submit(
                    order_id,
                    side,
                    quantity,
                    None if kind == "market" else price,
                    "x",
                    tif=tif,
                    post_only=kind == "post",
                )
            except BookError as rejected:
                assert kind == "post" and "would cross" in str(rejected)
                continue
            if kind == "fok":
                assert sum(t.quantity for t in trades) in (0, quantity)
        for t in trades:
            # every match has one buyer and one seller for the same quantity
            traded[t.maker_order_id] = traded.get(t.maker_order_id, 0) + t.quantity
            traded[t.taker_order_id] = traded.get(t.taker_order_id, 0) + t.quantity
        bid, ask = book.best_bid(), book.best_ask()
        assert bid is None or ask is None or bid < ask, "the book stayed crossed"
        for oid, ahead in ahead_before.items():
            if book.get(oid) is not None and not (kind == "replace" and oid == target):
                assert book.queue_ahead(oid) <= ahead, "a queue position worsened without a replace"
        for s in (BUY, SELL):
            for p, q in book.depth(s, levels=100):
                assert q == sum(o.quantity for o in book.level_orders(s, p)) > 0
    for order_id, quantity in traded.items():
        assert quantity <= submitted[order_id], "a fill exceeded the order"


def test_a_cancel_in_the_middle_of_a_queue_is_skipped_by_matching_and_compacted_away():
    book = OrderBook()
    for order_id in range(1, 101):
        book.submit(order_id, SELL, 10, 100, "x")
    for order_id in range(2, 100):  # cancel all but the first and the last
        assert book.cancel(order_id) == 10

    assert [o.order_id for o in book.level_orders(SELL, 100)] == [1, 100]
    assert book.depth(SELL) == [(100, 20)]
    assert book.queue_ahead(100) == 10
    assert len(book._asks[100].queue) < 40  # dead entries were compacted, not kept forever

    trades = book.submit(500, BUY, 15, None, "y")

    assert [(t.maker_order_id, t.quantity) for t in trades] == [(1, 10), (100, 5)]
    assert book.depth(SELL) == [(100, 5)]
    assert book.submit(501, BUY, 5, None, "y")[0].maker_order_id == 100
    assert book.best_ask() is None and len(book) == 0
