"""A call auction: orders collected, then uncrossed at one price. Pure Python.

The uncrossing price is the one, between the lowest and the highest limit price or
reference, that executes the most shares; ties go, in turn, to the
price that leaves the smallest surplus, to market pressure (the highest price when every
remaining candidate leaves buyers over, the lowest when sellers), and to the price nearest
the reference (the last continuous price). These are the tie-breaks of the main European
and US auctions. Executions follow price, then time priority: at-market orders first,
then limits from the most aggressive, earlier before later.

An order is anything with ``order_id``, ``side``, ``price`` (ticks, None at market),
``quantity`` and ``owner``: the book's resting orders take part in the closing cross as
they are.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from .book import BUY, SELL


class Participant(Protocol):
    order_id: int
    side: int
    price: int | None
    quantity: int
    owner: str


@dataclass(slots=True, eq=False)
class AuctionOrder:
    """An order for the auction only: market- or limit-on-close, ours or the background's."""

    order_id: int
    side: int
    price: int | None  # ticks; None: at whatever price the auction uncrosses
    quantity: int
    owner: str


class Indication(NamedTuple):
    """What an auction would do now: published while it collects orders (the imbalance feed)."""

    price: int | None  # the uncrossing price in ticks, None while nothing would trade
    imbalance: int  # shares left over at that price: + buyers, − sellers
    paired: int  # shares that would execute


class Execution(NamedTuple):
    buy: Participant
    sell: Participant
    quantity: int


class Uncross(NamedTuple):
    indication: Indication
    executions: list[Execution]


def indicate(orders: Iterable[Participant], reference: int) -> Indication:
    """The uncrossing price, paired shares and surplus of ``orders`` against ``reference`` (ticks)."""
    market_buy = market_sell = 0
    buys: dict[int, int] = {}
    sells: dict[int, int] = {}
    for order in orders:
        if order.quantity <= 0:
            continue
        if order.price is None:
            if order.side == BUY:
                market_buy += order.quantity
            else:
                market_sell += order.quantity
        else:
            levels = buys if order.side == BUY else sells
            levels[order.price] = levels.get(order.price, 0) + order.quantity
    candidates = _candidates({*buys, *sells, reference})
    # demand at p: buyers at p or better (market, or limits ≥ p); supply: sellers at market or ≤ p
    demand, running = [], market_buy
    for price in reversed(candidates):
        running += buys.get(price, 0)
        demand.append(running)
    demand.reverse()
    best = None
    supply = market_sell
    for index, price in enumerate(candidates):
        supply += sells.get(price, 0)
        paired = min(demand[index], supply)
        if not paired:
            continue
        surplus = demand[index] - supply
        key = (paired, -abs(surplus))
        if best is None or key > best[0]:
            best = (key, [(price, surplus)])
        elif key == best[0]:
            best[1].append((price, surplus))
    if best is None:
        return Indication(None, market_buy - market_sell, 0)
    (paired, _), tied = best
    return Indication(*_tie_break(tied, reference), paired)


def _candidates(prices: set[int]) -> list[int]:
    """The limit prices and the reference, and each gap's two ends: between two limit prices
    demand and supply are flat, so the ticks beside them stand for every price in the gap."""
    ordered = sorted(prices)
    inside = {p for low, high in itertools.pairwise(ordered) if high - low > 1 for p in (low + 1, high - 1)}
    return sorted(prices | inside)


def _tie_break(tied: list[tuple[int, int]], reference: int) -> tuple[int, int]:
    """Of the (price, surplus) candidates that pair the most with the least surplus, ascending."""
    if all(surplus > 0 for _, surplus in tied):
        return tied[-1]  # buyers left over at every one: the highest price
    if all(surplus < 0 for _, surplus in tied):
        return tied[0]
    return min(tied, key=lambda candidate: (abs(candidate[0] - reference), candidate[0]))


def uncross(orders: Sequence[Participant], reference: int) -> Uncross:
    """Execute ``orders`` (in arrival order) at their uncrossing price; the orders are not changed."""
    indication = indicate(orders, reference)
    price = indication.price
    if price is None:
        return Uncross(indication, [])

    def eligible(side: int) -> list[Participant]:
        chosen = [
            o
            for o in orders
            if o.side == side and o.quantity > 0 and (o.price is None or (o.price - price) * side >= 0)
        ]
        # stable sort: at market first, then the most aggressive limit, arrival order within
        return sorted(chosen, key=lambda o: (0, 0) if o.price is None else (1, -side * o.price))

    executions: list[Execution] = []
    buys, sells = eligible(BUY), eligible(SELL)
    buy_left = sell_left = 0
    b = s = -1
    remaining = indication.paired
    while remaining:
        if not buy_left:
            b += 1
            buy_left = buys[b].quantity
        if not sell_left:
            s += 1
            sell_left = sells[s].quantity
        quantity = min(buy_left, sell_left, remaining)
        executions.append(Execution(buys[b], sells[s], quantity))
        buy_left -= quantity
        sell_left -= quantity
        remaining -= quantity
    return Uncross(indication, executions)
