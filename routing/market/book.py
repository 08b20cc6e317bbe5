"""Order-by-order limit order book with price-time priority on integer ticks. Pure Python.

Prices are integer ticks and quantities integer shares. Each price level is a FIFO
queue, so a resting order's queue position is real: it only ever improves through
fills or cancels of the orders ahead of it, and worsens only when its owner
replaces it with a new price or a larger size.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass

BUY = 1
SELL = -1

DAY = "DAY"  # rests until cancelled or the session closes
IOC = "IOC"  # immediate or cancel: takes what it can, the rest is cancelled
FOK = "FOK"  # fill or kill: all at once or nothing
TIME_IN_FORCE = (DAY, IOC, FOK)


@dataclass(slots=True, eq=False)  # identity, so removal from a queue never compares fields
class RestingOrder:
    order_id: int
    side: int
    price: int
    quantity: int
    owner: str


@dataclass(frozen=True, slots=True)
class Trade:
    price: int
    quantity: int
    aggressor_side: int
    maker_order_id: int
    taker_order_id: int
    maker_owner: str
    taker_owner: str


class BookError(ValueError):
    """A request the book refuses; the message is the reject reason."""


class OrderBook:
    def __init__(self) -> None:
        self._levels: dict[int, dict[int, deque[RestingOrder]]] = {BUY: {}, SELL: {}}
        self._level_totals: dict[int, dict[int, int]] = {BUY: {}, SELL: {}}
        self._bid_prices: list[int] = []  # ascending; best bid is the last
        self._ask_prices: list[int] = []  # ascending; best ask is the first
        self._orders: dict[int, RestingOrder] = {}

    # --- reads --------------------------------------------------------------------
    def best_bid(self) -> int | None:
        return self._bid_prices[-1] if self._bid_prices else None

    def best_ask(self) -> int | None:
        return self._ask_prices[0] if self._ask_prices else None

    def level_quantity(self, side: int, price: int) -> int:
        return self._level_totals[side].get(price, 0)

    def depth(self, side: int, levels: int = 5) -> list[tuple[int, int]]:
        """``[(price, quantity), ...]`` from the touch outwards."""
        prices = self._bid_prices[: -levels - 1 : -1] if side == BUY else self._ask_prices[:levels]
        totals = self._level_totals[side]
        return [(p, totals[p]) for p in prices]

    def available(self, side: int, limit: int | None, wanted: int) -> int:
        """Contra shares a ``side`` order limited at ``limit`` could take now, up to ``wanted``."""
        totals = self._level_totals[-side]
        prices = self._ask_prices if side == BUY else reversed(self._bid_prices)
        found = 0
        for price in prices:
            if found >= wanted or (limit is not None and (price - limit) * side > 0):
                break
            found += totals[price]
        return min(found, wanted)

    def get(self, order_id: int) -> RestingOrder | None:
        return self._orders.get(order_id)

    def queue_ahead(self, order_id: int) -> int:
        """Shares ahead of a resting order at its own price level."""
        order = self._orders[order_id]
        ahead = 0
        for other in self._levels[order.side][order.price]:
            if other is order:
                return ahead
            ahead += other.quantity
        raise AssertionError("resting order missing from its level")

    def __len__(self) -> int:
        return len(self._orders)

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
        trades = self._match(order_id, side, quantity, price, owner)
        if price is not None and tif == DAY:
            remaining = quantity - sum(t.quantity for t in trades)
            if remaining:
                self._rest(RestingOrder(order_id, side, price, remaining, owner))
        return trades

    def cancel(self, order_id: int) -> int:
        """Remove a resting order; returns the quantity cancelled (0 if unknown or done)."""
        order = self._orders.pop(order_id, None)
        if order is None:
            return 0
        queue = self._levels[order.side][order.price]
        queue.remove(order)
        self._reduce_level(order.side, order.price, order.quantity, queue)
        return order.quantity

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
            self._level_totals[order.side][price] -= order.quantity - quantity
            order.quantity = quantity
            return []
        self.cancel(order_id)
        return self.submit(order_id, order.side, quantity, price, order.owner)

    # --- internals ----------------------------------------------------------------
    def _match(self, order_id: int, side: int, quantity: int, price: int | None, owner: str) -> list[Trade]:
        trades: list[Trade] = []
        contra = -side
        prices = self._ask_prices if side == BUY else self._bid_prices
        levels = self._levels[contra]
        while quantity and prices:
            best = prices[0] if side == BUY else prices[-1]
            if price is not None and (best - price) * side > 0:
                break
            queue = levels[best]
            while quantity and queue:
                maker = queue[0]
                traded = quantity if quantity < maker.quantity else maker.quantity
                trades.append(Trade(best, traded, side, maker.order_id, order_id, maker.owner, owner))
                quantity -= traded
                maker.quantity -= traded
                self._level_totals[contra][best] -= traded
                if not maker.quantity:
                    queue.popleft()
                    del self._orders[maker.order_id]
            if not queue:
                self._drop_level(contra, best)
        return trades

    def _rest(self, order: RestingOrder) -> None:
        levels = self._levels[order.side]
        queue = levels.get(order.price)
        if queue is None:
            queue = levels[order.price] = deque()
            self._level_totals[order.side][order.price] = 0
            bisect.insort(self._bid_prices if order.side == BUY else self._ask_prices, order.price)
        queue.append(order)
        self._level_totals[order.side][order.price] += order.quantity
        self._orders[order.order_id] = order

    def _reduce_level(self, side: int, price: int, quantity: int, queue: deque) -> None:
        if queue:
            self._level_totals[side][price] -= quantity
        else:
            self._drop_level(side, price)

    def _drop_level(self, side: int, price: int) -> None:
        del self._levels[side][price]
        del self._level_totals[side][price]
        prices = self._bid_prices if side == BUY else self._ask_prices
        del prices[bisect.bisect_left(prices, price)]
