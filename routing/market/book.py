"""Order-by-order limit order book with price-time priority on integer ticks. Pure Python.

Prices are integer ticks and quantities integer shares. Each price level is a FIFO
queue, so a resting order's queue position is real: it only ever improves through
fills or cancels of the orders ahead of it, and worsens only when its owner
replaces it with a new price or a larger size.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

BUY = 1
SELL = -1

DAY = "DAY"  # rests until cancelled or the session closes
IOC = "IOC"  # immediate or cancel: takes what it can, the rest is cancelled
FOK = "FOK"  # fill or kill: all at once or nothing
AT_CLOSE = "AT_CLOSE"  # for the closing auction: market-on-close, or limit-on-close with a price
AT_OPEN = "AT_OPEN"  # for the opening auction: market-on-open, or limit-on-open with a price


@dataclass(slots=True, eq=False)  # identity, so removal from a queue never compares fields
class RestingOrder:
    order_id: int
    side: int
    price: int
    quantity: int
    owner: str


class Trade(NamedTuple):
    price: int
    quantity: int
    aggressor_side: int
    maker_order_id: int
    taker_order_id: int
    maker_owner: str
    taker_owner: str


class BookError(ValueError):
    """A request the book refuses; the message is the reject reason."""


class Level:
    """One price: its FIFO queue of resting orders, their total and how many are live.

    A cancel only zeroes the order where it stands (removing it from the middle of a
    deque costs a scan); matching drops such dead entries as it meets them, and a level
    whose dead entries outnumber the live ones is compacted.
    """

    __slots__ = ("live", "queue", "total")

    def __init__(self) -> None:
        self.queue: deque[RestingOrder] = deque()
        self.total = 0
        self.live = 0


class OrderBook:
    """The hot paths (adding, cancelling, matching) are written out flat: this book runs
    every background event of the simulated market, a million events a second."""

    def __init__(self) -> None:
        self._bids: dict[int, Level] = {}
        self._asks: dict[int, Level] = {}
        # The price ladders, ascending (best bid last, best ask first). Read-only to others:
        # the simulator reads the touch straight from them on every event.
        self.bid_prices: list[int] = []
        self.ask_prices: list[int] = []
        self._orders: dict[int, RestingOrder] = {}

    # --- reads --------------------------------------------------------------------
    def best_bid(self) -> int | None:
        return self.bid_prices[-1] if self.bid_prices else None

    def best_ask(self) -> int | None:
        return self.ask_prices[0] if self.ask_prices else None

    def level_quantity(self, side: int, price: int) -> int:
        level = (self._bids if side == BUY else self._asks).get(price)
        return 0 if level is None else level.total

    def level_orders(self, side: int, price: int) -> list[RestingOrder]:
        """The orders resting at one price, first in the queue first."""
        level = (self._bids if side == BUY else self._asks).get(price)
        return [] if level is None else [order for order in level.queue if order.quantity]

    def depth(self, side: int, levels: int = 5) -> list[tuple[int, int]]:
        """``[(price, quantity), ...]`` from the touch outwards."""
        if side == BUY:
            book, prices = self._bids, self.bid_prices[: -levels - 1 : -1]
        else:
            book, prices = self._asks, self.ask_prices[:levels]
        return [(p, book[p].total) for p in prices]

    def available(self, side: int, limit: int | None, wanted: int) -> int:
        """Contra shares a ``side`` order limited at ``limit`` could take now, up to ``wanted``."""
        book, prices = (self._asks, self.ask_prices) if side == BUY else (self._bids, reversed(self.bid_prices))
        found = 0
        for price in prices:
            if found >= wanted or (limit is not None and (price - limit) * side > 0):
                break
            found += book[price].total
        return min(found, wanted)

    def get(self, order_id: int) -> RestingOrder | None:
        return self._orders.get(order_id)

    def queue_ahead(self, order_id: int) -> int:
        """Shares ahead of a resting order at its own price level."""
        order = self._orders[order_id]
        ahead = 0
        for other in (self._bids if order.side == BUY else self._asks)[order.price].queue:
            if other is order:
                return ahead
            ahead += other.quantity
        raise AssertionError("resting order missing from its level")

    def __len__(self) -> int:
        return len(self._orders)

    def orders(self) -> list[RestingOrder]:
        """Every resting order, earlier before later: the book's part in an auction."""
        return list(self._orders.values())

    # --- writes -------------------------------------------------------------------
    def submit(
        self,
        order_id: int,
        side: int,
        quantity: int,
        price: int | None,
        owner: str,
        *,
        tif: str = DAY,
        post_only: bool = False,
    ) -> list[Trade]:
        """Match against the opposite side, then rest what is left if it is a DAY limit.

        ``price`` None is a market order, which never rests. Raises BookError with the
        reject reason for an order the venue would refuse.
        """
        if quantity <= 0:
            raise BookError(f"quantity must be positive, got {quantity}")
        if price is not None and price <= 0:
            raise BookError(f"price must be positive, got {price}")
        if order_id in self._orders:
            raise BookError(f"duplicate order id {order_id}")
        if post_only:
            if price is None or tif != DAY:
                raise BookError("post-only needs a DAY limit order")
            touch = self.best_ask() if side == BUY else self.best_bid()
            if touch is not None and (price - touch) * side >= 0:
                raise BookError("post-only order would cross")
        if tif == FOK and self.available(side, price, quantity) < quantity:
            return []
        if side == BUY:
            contra = self.ask_prices
            marketable = contra and (price is None or contra[0] <= price)
        else:
            contra = self.bid_prices
            marketable = contra and (price is None or contra[-1] >= price)
        trades = self._match(order_id, side, quantity, price, owner) if marketable else []
        if price is None or tif != DAY:
            return trades
        for trade in trades:
            quantity -= trade.quantity
        if quantity:
            self.rest(order_id, side, quantity, price, owner)
        return trades

    def rest(self, order_id: int, side: int, quantity: int, price: int, owner: str) -> None:
        """Queue a limit order at the back of its level, unchecked: the caller knows it is
        valid and does not cross (the simulator's background flow, a million times a day)."""
        order = RestingOrder(order_id, side, price, quantity, owner)
        if side == BUY:
            book, prices = self._bids, self.bid_prices
        else:
            book, prices = self._asks, self.ask_prices
        level = book.get(price)
        if level is None:
            level = book[price] = Level()
            insort(prices, price)
        level.queue.append(order)
        level.total += quantity
        level.live += 1
        self._orders[order_id] = order

    def take(self, order_id: int, side: int, quantity: int, price: int, owner: str) -> list[Trade]:
        """An immediate-or-cancel limit order, unchecked: the caller knows it is valid (the
        simulator's background takers). What does not trade at once is dropped."""
        return self._match(order_id, side, quantity, price, owner)

    def cancel(self, order_id: int) -> int:
        """Remove a resting order; returns the quantity cancelled (0 if unknown or done)."""
        order = self._orders.pop(order_id, None)
        if order is None:
            return 0
        price = order.price
        if order.side == BUY:
            book, prices = self._bids, self.bid_prices
        else:
            book, prices = self._asks, self.ask_prices
        level = book[price]
        quantity = order.quantity
        if level.live == 1:
            del book[price]
            del prices[bisect_left(prices, price)]
        else:
            level.total -= quantity
            level.live -= 1
            order.quantity = 0  # dead where it stands: matching skips it
            if len(level.queue) > 2 * level.live + 16:
                level.queue = deque(o for o in level.queue if o.quantity)
        return quantity

    def replace(self, order_id: int, *, quantity: int, price: int) -> list[Trade]:
        """Cancel/replace a resting order.

        A smaller size at the same price keeps the order's place in the queue; a new
        price or a larger size is a new order at the back (and may trade at once).
        """
        order = self._orders.get(order_id)
        if order is None:
            raise BookError(f"unknown order {order_id}")
        if quantity <= 0:
            raise BookError(f"quantity must be positive, got {quantity}")
        if price <= 0:
            raise BookError(f"price must be positive, got {price}")
        if price == order.price and quantity <= order.quantity:
            (self._bids if order.side == BUY else self._asks)[price].total -= order.quantity - quantity
            order.quantity = quantity
            return []
        self.cancel(order_id)
        return self.submit(order_id, order.side, quantity, price, order.owner)

    # --- internals ----------------------------------------------------------------
    def _match(self, order_id: int, side: int, quantity: int, price: int | None, owner: str) -> list[Trade]:
        trades: list[Trade] = []
        if side == BUY:
            book, prices, best_index = self._asks, self.ask_prices, 0
        else:
            book, prices, best_index = self._bids, self.bid_prices, -1
        orders = self._orders
        while quantity and prices:
            best = prices[best_index]
            if price is not None and (best - price) * side > 0:
                break
            level = book[best]
            queue = level.queue
            while quantity and queue:
                maker = queue[0]
                if not maker.quantity:  # cancelled earlier
                    queue.popleft()
                    continue
                traded = quantity if quantity < maker.quantity else maker.quantity
                trades.append(Trade(best, traded, side, maker.order_id, order_id, maker.owner, owner))
                quantity -= traded
                maker.quantity -= traded
                level.total -= traded
                if not maker.quantity:
                    queue.popleft()
                    del orders[maker.order_id]
                    level.live -= 1
            if not level.live:
                del book[best]
                del prices[best_index]
        return trades
