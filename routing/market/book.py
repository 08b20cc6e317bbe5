"""Order-by-order limit order book with price-time priority on integer ticks. Pure Python.

Prices are integer ticks and quantities integer shares. Each price level is a FIFO
queue, so a resting order's queue position is real: it is only ever improved by fills
or cancels of the orders ahead of it.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass

BUY = 1
SELL = -1


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
    """A request the book refuses, with the reason."""


class OrderBook:
    def __init__(self) -> None:
        self._levels: dict[int, dict[int, deque[RestingOrder]]] = {BUY: {}, SELL: {}}
        self._bid_prices: list[int] = []  # ascending; best bid is the last
        self._ask_prices: list[int] = []  # ascending; best ask is the first
        self._orders: dict[int, RestingOrder] = {}

    # --- reads --------------------------------------------------------------------
    def best_bid(self) -> int | None:
        return self._bid_prices[-1] if self._bid_prices else None

    def best_ask(self) -> int | None:
        return self._ask_prices[0] if self._ask_prices else None

    def level_quantity(self, side: int, price: int) -> int:
        queue = self._levels[side].get(price)
        return sum(order.quantity for order in queue) if queue else 0

    def depth(self, side: int, levels: int = 5) -> list[tuple[int, int]]:
        """``[(price, quantity), ...]`` from the touch outwards."""
        prices = self._bid_prices[::-1] if side == BUY else self._ask_prices
        return [(p, self.level_quantity(side, p)) for p in prices[:levels]]

    def get(self, order_id: int) -> RestingOrder | None:
        return self._orders.get(order_id)

    def queue_ahead(self, order_id: int) -> int:
        """Shares ahead of a resting order at its own price level."""
        order = self._orders[order_id]
        ahead = 0
        for other in self._levels[order.side][order.price]:
            if other.order_id == order_id:
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
        immediate_or_cancel: bool = False,
    ) -> list[Trade]:
        """Match against the opposite side, then rest what is left unless IOC or market."""
        if quantity <= 0:
            raise BookError(f"quantity must be positive, got {quantity}")
        if price is not None and price <= 0:
            raise BookError(f"price must be positive, got {price}")
        if order_id in self._orders:
            raise BookError(f"duplicate order id {order_id}")
        trades = self._match(order_id, side, quantity, price, owner)
        remaining = quantity - sum(t.quantity for t in trades)
        if remaining and price is not None and not immediate_or_cancel:
            self._rest(RestingOrder(order_id, side, price, remaining, owner))
        return trades

    def cancel(self, order_id: int) -> int:
        """Remove a resting order; returns the quantity cancelled (0 if unknown or done)."""
        order = self._orders.pop(order_id, None)
        if order is None:
            return 0
        queue = self._levels[order.side][order.price]
        queue.remove(order)
        if not queue:
            self._drop_level(order.side, order.price)
        return order.quantity

    # --- internals ----------------------------------------------------------------
    def _match(self, order_id: int, side: int, quantity: int, price: int | None, owner: str) -> list[Trade]:
        trades: list[Trade] = []
        contra = -side
        while quantity:
            best = self.best_ask() if side == BUY else self.best_bid()
            if best is None or (price is not None and (best - price) * side > 0):
                break
            queue = self._levels[contra][best]
            maker = queue[0]
            traded = min(quantity, maker.quantity)
            trades.append(Trade(best, traded, side, maker.order_id, order_id, maker.owner, owner))
            quantity -= traded
            maker.quantity -= traded
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
            bisect.insort(self._bid_prices if order.side == BUY else self._ask_prices, order.price)
        queue.append(order)
        self._orders[order.order_id] = order

    def _drop_level(self, side: int, price: int) -> None:
        del self._levels[side][price]
        prices = self._bid_prices if side == BUY else self._ask_prices
        del prices[bisect.bisect_left(prices, price)]
