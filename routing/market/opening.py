"""The opening auction on the listing venue: the day's first event. A method group of
``MarketSimulator``, kept here by topic: it shares its state. Pure Python.

At the open the listing venue uncrosses the interest collected overnight and in the
pre-open (background market- and limit-on-open orders, drawn from the news seed, sized so
that with the offsets below the cross trades about 1.5% of an ordinary day's volume: US large
caps trade 1–2% of their day in the opening auction) with its book, at the price that pairs the most
shares: the official open. Continuous trading starts from the book it leaves.

Our market- and limit-on-open orders join it when they are sent before the day's first
event, that is, in the pre-open: the exchange clock runs a pre-open from 09:15, parents for
the open collect in it, and the day's first step sends them before it runs the cross. They
arrive at once (the pre-open is minutes long, the latency microseconds) and are filled at the
official open or cancelled, "not executed in the opening auction". Once the day has opened an
order for the open is refused.

Every market-on-open order executes, as at a US open: the listing venue's market maker (NYSE's
designated market maker) takes the other side of whatever market-order surplus the interest
leaves, at the fair value. The pre-open also publishes its indication every few seconds, and
one far from the fair value draws arbitrage, offsetting limit interest at that value, as at the
close. Without the two a market-order surplus would uncross at the farthest limit on the other
side (the tie-break of market pressure), so one small limit-on-open order far from the market
would set the official open. Arbitrageurs step in only beyond ``OPEN_OFFSET_FROM_BPS``, wider
than the background's own limits reach.
"""

from __future__ import annotations

import math
import random

from .auction import AuctionOrder, indicate
from .book import BUY, SELL
from .clock import CLOSE_NS, OPEN_NS
from .closing import INDICATION_EVERY_S, LIMIT_SPREAD_BPS, MARKET_SHARE, OFFSET_SHARE, AuctionCross
from .incidents import DOWN
from .messages import ACCEPTED, BACKGROUND, AuctionPublished, OurOrder, Print

OPEN_SHARE = 0.012  # of the flow's expected daily volume: the background interest, before the offsets
OPEN_ORDERS = 40  # background opening orders
OPEN_IMBALANCE_SD = 0.1  # the buy share of opening interest is 0.5 ± this
PRE_OPEN_S = 900  # the pre-open, 09:15 to the open: its indications draw the arbitrage
OPEN_OFFSET_FROM_BPS = 25.0  # an indication this far from the fair value draws offsets


class OpeningAuction:
    """The listing venue's opening cross."""

    # A checkpoint from before the opening auction is past its open: it never runs one
    opening_cross: AuctionCross | None = None
    _day_opened = True
    _opening_orders: tuple[AuctionOrder, ...] = ()  # ours, collected in the pre-open

    def _opening_setup(self) -> None:
        self._day_opened = False

    @property
    def day_opened(self) -> bool:
        """The opening cross has run: an order for the open is too late."""
        return self._day_opened

    def _opening_arrive(self, rng: random.Random, order: OurOrder) -> None:
        """An order of ours for the opening auction, in the pre-open (it is sent before the day's
        first event, so it is there at once)."""
        if self._day_opened:
            self._reject(rng, order, "the opening auction has run")
        elif order.venue != self.listing:
            self._reject(rng, order, f"opening auction orders go to the listing venue, {self.listing}")
        elif self.venue_status.get(order.venue) == DOWN:
            self._reject(rng, order, "venue down")
        elif order.quantity <= 0:
            self._reject(rng, order, f"quantity must be positive, got {order.quantity}")
        elif order.price_half_ticks is not None and order.price_half_ticks % 2:
            self._reject(rng, order, "price off tick")
        else:
            price = None if order.price_half_ticks is None else order.price_half_ticks // 2
            ours = AuctionOrder(order.order_id, order.side, price, order.quantity, order.owner)
            self._opening_orders = (*self._opening_orders, ours)
            order.live = True
            self._report(rng, order, ACCEPTED, leaves=order.quantity)

    def _open_day(self, rng: random.Random, prints: list[Print]) -> None:
        """The opening cross at the open; the feed publishes it as phase OPEN."""
        self._day_opened = True
        venue, now = self.listing, self.open_ns
        # Ours arrived at this instant, refused if the venue was down; a cancel or replace of one
        # arrives after the cross, when the order is done ("too late")
        ours, self._opening_orders = list(self._opening_orders), ()
        if self.venue_status.get(venue) == DOWN:
            cross = AuctionCross(now, venue, None, 0, 0)
        else:
            interest = [*self._opening_interest(), *ours]
            interest.extend(self._opening_offsets(interest))
            cross = self._listing_uncross(interest, now, rng, prints, unexecuted="not executed in the opening auction")
        self.opening_cross = cross
        self._auction_messages = (
            *self._auction_messages,
            AuctionPublished(now, venue, "OPEN", cross.price_half_ticks, cross.volume, cross.imbalance),
        )

    def _opening_interest(self) -> list[AuctionOrder]:
        """Background opening orders around the fair value, with the day's opening imbalance."""
        draw = random.Random(f"{self.path_seed}:{self.path_sign}:open")
        buy_share = min(0.8, max(0.2, 0.5 + draw.gauss(0.0, OPEN_IMBALANCE_SD)))
        mean_size = OPEN_SHARE * self._expected_day_volume() / (OPEN_ORDERS * min(buy_share, 1 - buy_share))
        return self._drawn_interest(draw, OPEN_ORDERS, buy_share, mean_size)

    def _opening_offsets(self, interest: list[AuctionOrder]) -> list[AuctionOrder]:
        """The market maker's offset of the market-order surplus, and the pre-open's arbitrage: at
        each indication far from the fair value, offsetting limit interest at that value, until
        every market order pairs and the indication is back within reach."""
        book, fair = self.books[self.listing].orders(), self.fair_value_ticks()
        reference, offsets = self._auction_reference(), []
        at_market = {BUY: 0, SELL: 0}
        for order in interest:
            if order.price is None:
                at_market[order.side] += order.quantity
        for _ in range(PRE_OPEN_S // INDICATION_EVERY_S):
            price, _, paired = indicate([*book, *interest, *offsets], reference)
            dislocation_bps = 0.0 if price is None else (price - fair) / fair * 1e4
            short = {side: quantity - paired for side, quantity in at_market.items()}  # market orders left over
            if max(short.values()) > 0:
                side = SELL if short[BUY] > 0 else BUY
                size = 100 * -(-max(short.values()) // 100)
            elif abs(dislocation_bps) >= OPEN_OFFSET_FROM_BPS:
                side = SELL if dislocation_bps > 0 else BUY
                size = max(100, 100 * int(paired * OFFSET_SHARE / 100))
            else:
                break
            limit = math.ceil(fair) if side == SELL else max(1, math.floor(fair))
            offsets.append(AuctionOrder(self.next_order_id(), side, limit, size, BACKGROUND))
        return offsets

    def _expected_day_volume(self) -> float:
        """The flow's daily volume is a full day's: a shorter simulated day trades in proportion."""
        return self.flow.daily_volume * (self.close_ns - self.open_ns) / (CLOSE_NS - OPEN_NS)

    def _drawn_interest(
        self, draw: random.Random, count: int, buy_share: float, mean_size: float
    ) -> list[AuctionOrder]:
        """``count`` background auction orders: lognormal sizes of ``mean_size`` shares, half at
        market, the rest limits a few bps either side of the fair value."""
        fair = self.fair_value_ticks()
        orders = []
        for _ in range(count):
            side = BUY if draw.random() < buy_share else SELL
            quantity = max(100, 100 * round(mean_size * draw.lognormvariate(-0.5, 1.0) / 100))
            at_market = draw.random() < MARKET_SHARE
            price = None if at_market else max(1, round(fair * (1 + side * draw.gauss(0.0, LIMIT_SPREAD_BPS) / 1e4)))
            orders.append(AuctionOrder(self.next_order_id(), side, price, quantity, BACKGROUND))
        return orders
