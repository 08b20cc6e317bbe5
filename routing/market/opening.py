"""The opening auction on the listing venue: the day's first event. A method group of
``MarketSimulator``, kept here by topic: it shares its state. Pure Python.

At the open the listing venue uncrosses the interest collected overnight and in the
pre-open (background market- and limit-on-open orders, drawn from the news seed, sized so
the cross trades about ``OPEN_SHARE`` of an ordinary day's volume: US large caps trade
1–2% of their day in the opening auction) with its book, at the price that pairs the most
shares: the official open. Continuous trading starts from the book it leaves.

The desk's exchange day begins at the open, so none of our orders can reach the pre-open:
the cross is the market's alone, and market-on-open orders are not offered.
"""

from __future__ import annotations

import random

from .auction import AuctionOrder
from .book import BUY, SELL
from .clock import CLOSE_NS, OPEN_NS
from .closing import LIMIT_SPREAD_BPS, MARKET_SHARE, AuctionCross
from .incidents import DOWN
from .messages import BACKGROUND, AuctionPublished, Print

OPEN_SHARE = 0.016  # of the flow's expected daily volume, what the opening cross pairs
OPEN_ORDERS = 40  # background opening orders
OPEN_IMBALANCE_SD = 0.1  # the buy share of opening interest is 0.5 ± this


class OpeningAuction:
    """The listing venue's opening cross."""

    # A checkpoint from before the opening auction is past its open: it never runs one
    opening_cross: AuctionCross | None = None
    _day_opened = True

    def _opening_setup(self) -> None:
        self._day_opened = False

    def _open_day(self, rng: random.Random, prints: list[Print]) -> None:
        """The opening cross at the open; the feed publishes it as phase OPEN."""
        self._day_opened = True
        venue, now = self.listing, self.open_ns
        if self.venue_status.get(venue) == DOWN:
            cross = AuctionCross(now, venue, None, 0, 0)
        else:
            cross = self._listing_uncross(
                self._opening_interest(), now, rng, prints, unexecuted="not executed in the opening auction"
            )
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
