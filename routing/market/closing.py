"""The closing auction on the listing venue, and the end of the trading day. Methods of
``MarketSimulator``, kept here by topic: they share its state. Pure Python.

Market- and limit-on-close orders are collected until the cutoff (15:50 on a 16:00 close);
from the cutoff the venue publishes the indicative price, paired shares and imbalance every
few seconds, and an indication away from the fair value draws limit interest at that value
(arbitrageurs, closing-offset orders), which keeps the close near the continuous price. At
the close the auction orders and the listing venue's book uncross at one price, the
official close. Then every order still at a venue expires, as DAY orders do, and
every message still in flight is answered: nothing is left open overnight.

Background auction interest is drawn when collection begins, from the news seed and the
volume the day has traded by then, so that the close trades about ``CLOSE_SHARE`` of the
day's volume (US large caps: 7–10%). It arrives at whole seconds, like the news, so the
auction does not depend on how a caller chunks time.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .auction import AuctionOrder, Indication, indicate, uncross
from .book import BUY, SELL
from .clock import NS_PER_S
from .flow import intraday_intensity
from .incidents import DOWN
from .messages import (
    ACCEPTED,
    BACKGROUND,
    CANCELED,
    MIDPOINT,
    REJECTED,
    AuctionPublished,
    NewOrderArrives,
    OurOrder,
    Print,
)
from .venues import AUCTION

CUTOFF_S = 600  # auction orders are taken until this long before the close
COLLECTION_S = 1800  # background interest arrives from this long before the close
INDICATION_EVERY_S = 5
CLOSE_SHARE = 0.085  # of the day's volume, the closing cross
KNOWN_AT_CUTOFF = 0.7  # of the close's pairing, what is in by the cutoff (the offsets bring the rest)
BACKGROUND_ORDERS = 60  # background auction orders a day, before offsets
MARKET_SHARE = 0.5  # of background auction orders, at market; the rest limit-on-close
IMBALANCE_SD = 0.15  # the day's imbalance: the buy share of background interest is 0.5 ± this
LIMIT_SPREAD_BPS = 4.0  # limit-on-close prices around the fair value
OFFSET_SHARE = 0.015  # of the paired shares, offered against a dislocated indication each time
FULL_OFFSET_BPS = 10.0  # dislocation from the fair value that draws the whole offset


def continuous_share_by(fraction_of_day: float, points: int = 2_000) -> float:
    """Expected share of the day's continuous volume traded by ``fraction_of_day``: the U-curve's integral."""
    grid = [intraday_intensity((i + 0.5) / points) for i in range(points)]
    return sum(grid[: round(fraction_of_day * points)]) / sum(grid)


@dataclass(frozen=True, slots=True)
class AuctionCross:
    """An auction's uncrossing on the listing venue: the official open or close."""

    time_ns: int
    venue: str
    price_half_ticks: int | None  # None: nothing paired (or the venue was down), no official price
    volume: int
    imbalance: int  # left over at the cross: + buyers, − sellers


class ClosingAuction:
    """The listing venue's closing auction and the day's end."""

    # A checkpoint from before the closing auction unpickles with no auction to run
    closing_cross: AuctionCross | None = None
    day_volume = 0  # continuous volume since the open, every venue: what the close is sized by
    _auction_orders: list[AuctionOrder] = ()
    _auction_due: list[tuple[int, int, bool, int, float]] = ()  # (second, side, at market, qty, bps)
    _auction_next_s = 1 << 62
    _auction_messages: tuple[AuctionPublished, ...] = ()
    _day_closed = False

    def _auction_setup(self) -> None:
        self._auction_orders = []
        self._auction_next_s = (self.close_ns // NS_PER_S) - COLLECTION_S

    @property
    def listing(self) -> str:
        """The listing venue: it runs the auctions and prints the official close."""
        return next((v.code for v in self.venues.values() if v.listing), next(iter(self.venues)))

    @property
    def cutoff_ns(self) -> int:
        return self.close_ns - CUTOFF_S * NS_PER_S

    def indication(self) -> Indication:
        """The closing auction as it would uncross now, with the listing venue's book."""
        return indicate([*self.books[self.listing].orders(), *self._auction_orders], self._auction_reference())

    def take_auction_messages(self) -> list[AuctionPublished]:
        messages, self._auction_messages = list(self._auction_messages), ()
        return messages

    def _auction_reference(self) -> int:
        """The last continuous price: the listing venue's mid, or the consolidated one."""
        book = self.books[self.listing]
        bid, ask = book.best_bid(), book.best_ask()
        if bid is None or ask is None:
            bid, ask = self.nbbo()
        if bid is None or ask is None:
            return round(self.fair_value_ticks())
        return (bid + ask) // 2

    # --- per second: collection, background interest, indications ------------------
    def _auction_seconds(self, last_second: int) -> None:
        close_s = self.close_ns // NS_PER_S
        while self._auction_next_s <= min(last_second, close_s - 1):
            second = self._auction_next_s
            self._auction_next_s += 1
            if second == close_s - COLLECTION_S:
                self._auction_draw(second)
            due = self._auction_due
            while due and due[0][0] <= second:
                _, side, at_market, quantity, bps = due[0]
                self._auction_due = due = due[1:]
                fair = self.fair_value_ticks()
                price = None if at_market else max(1, round(fair * (1 + side * bps / 1e4)))
                arrived = AuctionOrder(self.next_order_id(), side, price, quantity, BACKGROUND)
                self._auction_orders = [*self._auction_orders, arrived]
            if second >= close_s - CUTOFF_S and (close_s - second) % INDICATION_EVERY_S == 0:
                self._auction_indicate(second)

    def _auction_draw(self, second: int) -> None:
        """The day's background auction interest, sized by the volume traded so far."""
        if self.venue_status.get(self.listing) == DOWN:
            return
        draw = random.Random(f"{self.path_seed}:{self.path_sign}:close")
        day_fraction = (second * NS_PER_S - self.open_ns) / (self.close_ns - self.open_ns)
        expected_day = self.day_volume / max(continuous_share_by(day_fraction), 1e-6)
        # shares the close should pair, of which offsets bring a part after the cutoff
        target = CLOSE_SHARE / (1 - CLOSE_SHARE) * expected_day * KNOWN_AT_CUTOFF
        buy_share = min(0.85, max(0.15, 0.5 + draw.gauss(0.0, IMBALANCE_SD)))
        paired_share = 0.5 - IMBALANCE_SD * math.sqrt(2 / math.pi)  # E[min(buy, sell share)]: what pairs
        mean_size = target / (BACKGROUND_ORDERS * paired_share)
        window = COLLECTION_S - CUTOFF_S
        due = []
        for _ in range(BACKGROUND_ORDERS):
            side = BUY if draw.random() < buy_share else SELL
            quantity = max(100, 100 * round(mean_size * draw.lognormvariate(-0.5, 1.0) / 100))
            bps = draw.gauss(0.0, LIMIT_SPREAD_BPS)
            due.append((second + int(draw.random() * window), side, draw.random() < MARKET_SHARE, quantity, bps))
        self._auction_due = sorted(due, key=lambda row: row[0])

    def _auction_indicate(self, second: int) -> None:
        """Publish the indication; offsetting limit interest then arrives against its dislocation."""
        if self.venue_status.get(self.listing) == DOWN:
            return
        now = second * NS_PER_S
        price, imbalance, paired = self.indication()
        self._auction_messages = (
            *self._auction_messages,
            AuctionPublished(now, self.listing, "INDICATIVE", None if price is None else 2 * price, paired, imbalance),
        )
        if price is None:
            return
        # Arbitrageurs: an indication away from the fair value draws limit interest at that value
        fair = self.fair_value_ticks()
        dislocation_bps = (price - fair) / fair * 1e4
        offset = 100 * int(paired * OFFSET_SHARE * min(1.0, abs(dislocation_bps) / FULL_OFFSET_BPS) / 100)
        if abs(dislocation_bps) >= 1 and offset:
            side = SELL if dislocation_bps > 0 else BUY
            limit = math.ceil(fair) if side == SELL else max(1, math.floor(fair))
            offered = AuctionOrder(self.next_order_id(), side, limit, offset, BACKGROUND)
            self._auction_orders = [*self._auction_orders, offered]

    # --- our orders ------------------------------------------------------------------
    def _auction_arrive(self, rng: random.Random, order: OurOrder) -> None:
        if order.venue != self.listing:
            self._reject(rng, order, f"closing auction orders go to the listing venue, {self.listing}")
        elif self.clock_ns > self.cutoff_ns or self._day_closed:
            self._reject(rng, order, "after the closing auction's order cutoff")
        elif order.price_half_ticks is not None and order.price_half_ticks % 2:
            self._reject(rng, order, "price off tick")
        else:
            price = None if order.price_half_ticks is None else order.price_half_ticks // 2
            ours = AuctionOrder(order.order_id, order.side, price, order.quantity, order.owner)
            self._auction_orders = [*self._auction_orders, ours]
            order.live = True
            self._report(rng, order, ACCEPTED, leaves=order.quantity)

    def _auction_cancel(self, rng: random.Random, order: OurOrder) -> None:
        if self.clock_ns > self.cutoff_ns:
            self._report(rng, order, REJECTED, reason="closing auction orders cannot be cancelled after the cutoff")
            return
        self._auction_withdraw(order.order_id)
        del self._ours[order.order_id]
        self._report(rng, order, CANCELED, quantity=order.quantity, reason="requested")

    def _auction_withdraw(self, order_id: int) -> None:
        self._auction_orders = [o for o in self._auction_orders if o.order_id != order_id]

    # --- the close -------------------------------------------------------------------
    def _close_day(self, rng: random.Random, prints: list[Print]) -> None:
        """The closing cross, then every order still open expires and what is in flight is answered."""
        self._day_closed = True
        self.closing_cross = self._closing_cross(rng, prints)
        cross = self.closing_cross
        self._auction_messages = (
            *self._auction_messages,
            AuctionPublished(
                cross.time_ns, cross.venue, "CLOSE", cross.price_half_ticks, cross.volume, cross.imbalance
            ),
        )
        for order in list(self._ours.values()):
            if order.live:
                self._expire(rng, order)
        queue, self._queue = self._queue, []
        for _, _, message in sorted(queue):
            order = self._ours.get(getattr(message, "order_id", -1))
            if type(message) is NewOrderArrives and order is not None:
                self._reject(rng, order, "market closed")
            elif type(message) is not NewOrderArrives and hasattr(message, "order_id"):
                self._deliver(rng, message, prints)  # the order has expired: "too late"

    def _expire(self, rng: random.Random, order: OurOrder) -> None:
        if order.venue in self.pools:
            if order in self.pools[order.venue].ours:
                self.pools[order.venue].ours.remove(order)
        elif order.venue in self.books:
            self.books[order.venue].cancel(order.order_id)
        del self._ours[order.order_id]
        self._report(rng, order, CANCELED, quantity=order.quantity, reason="expired at the close")

    def _closing_cross(self, rng: random.Random, prints: list[Print]) -> AuctionCross:
        venue, now = self.listing, self.close_ns
        auction, self._auction_orders = self._auction_orders, []
        if self.venue_status.get(venue) == DOWN:
            return AuctionCross(now, venue, None, 0, 0)
        return self._listing_uncross(auction, now, rng, prints, unexecuted="not executed in the closing auction")

    def _listing_uncross(
        self, auction: list[AuctionOrder], now: int, rng: random.Random, prints: list[Print], *, unexecuted: str
    ) -> AuctionCross:
        """Uncross the auction orders with the listing venue's book at one price: the prints,
        what is left of book orders keeps its place, our auction orders are filled or cancelled."""
        venue = self.listing
        book = self.books[venue]
        result = uncross([*book.orders(), *auction], self._auction_reference())
        price = result.indication.price
        executed: dict[int, int] = {}
        for execution in result.executions:
            buy, sell, quantity = execution
            prints.append(
                Print(now, venue, 2 * price, quantity, MIDPOINT, sell.owner, buy.owner, sell.order_id, buy.order_id)
            )
            for party in (buy, sell):
                executed[party.order_id] = executed.get(party.order_id, 0) + quantity
        for order_id, quantity in executed.items():
            resting = book.get(order_id)
            if resting is not None:  # a book order: what is left keeps its place
                left = resting.quantity - quantity
                if left:
                    book.replace(order_id, quantity=left, price=resting.price)
                else:
                    book.cancel(order_id)
            ours = self._ours.get(order_id)
            if ours is not None:
                self._our_fill(rng, ours, quantity, 2 * price, AUCTION)
        for order in auction:
            ours = self._ours.get(order.order_id)
            if ours is not None:  # ours, not executed or only in part
                del self._ours[order.order_id]
                self._report(rng, ours, CANCELED, quantity=ours.quantity, reason=unexecuted)
        volume = result.indication.paired
        return AuctionCross(now, venue, None if price is None else 2 * price, volume, result.indication.imbalance)
