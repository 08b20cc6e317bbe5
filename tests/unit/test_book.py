import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.market.book import BUY, SELL, BookError, OrderBook


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
    trades = book.submit(2, BUY, 100, 10_001, "us", immediate_or_cancel=True)
    assert trades == []
    assert book.get(2) is None
    assert book.best_bid() is None


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


actions = st.lists(
    st.tuples(
        st.sampled_from(["limit", "ioc", "market", "cancel"]),
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
        if kind == "cancel":
            book.cancel(order_id // 2)
            continue
        submitted[order_id] = quantity
        trades = book.submit(
            order_id, side, quantity, None if kind == "market" else price, "x", immediate_or_cancel=kind == "ioc"
        )
        for t in trades:
            # every match has one buyer and one seller for the same quantity
            traded[t.maker_order_id] = traded.get(t.maker_order_id, 0) + t.quantity
            traded[t.taker_order_id] = traded.get(t.taker_order_id, 0) + t.quantity
        bid, ask = book.best_bid(), book.best_ask()
        assert bid is None or ask is None or bid < ask, "the book stayed crossed"
    for order_id, quantity in traded.items():
        assert quantity <= submitted[order_id], "a fill exceeded the order"
