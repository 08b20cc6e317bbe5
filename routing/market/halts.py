"""Volatility halts: limit up-limit down bands, a trading pause and a reopening auction. A
method group of ``MarketSimulator``, kept here by topic: it shares its state. Pure Python.

As the US Limit Up-Limit Down plan does for a Tier 1 stock above $3: the price bands are 5%
either side of a reference price, the mean price of the last five minutes (10% in the first
15 minutes and the last 25); a move beyond them pauses trading for five minutes on every
venue, and the listing venue reopens it with an auction. The plan lets the market sit at a
band for 15 seconds (the limit state) before it pauses; here the pause starts the second
the news takes the fair value beyond a band, before anything trades there, so no print is
ever outside the bands.

Ordinary news moves a stock a few bps a minute, never 5% in five minutes: the moves that
halt come from drawn news jumps (``day_news_jumps``, an instrument's day's chance of one).
During the pause the background flow stops, new orders and replaces are refused (cancels
are taken) and the engine sends nothing; the reopening cross uncrosses background interest
drawn around the new fair value with the listing book; then liquidity providers withdraw
what they quoted before the news and quote afresh around the reopening price on every lit
venue, so continuous trading starts from an orderly book.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass

from .auction import AuctionOrder
from .book import BUY, SELL
from .clock import NS_PER_S
from .impact import SUBTICKS
from .incidents import DOWN
from .messages import AuctionPublished, Print

BAND = 0.05  # either side of the reference price
WIDE_BAND = 0.10  # in the first BAND_OPEN_S and the last BAND_CLOSE_S of the day
BAND_OPEN_S, BAND_CLOSE_S = 15 * 60, 25 * 60
REFERENCE_S = 300  # the reference price: the mean mid of the last five minutes
PAUSE_S = 300
REOPEN_SHARE = 0.002  # of the flow's expected daily volume, the reopening interest a side of the news
REOPEN_ORDERS = 30
PAUSED = "trading paused (limit up-limit down)"


@dataclass(frozen=True, slots=True)
class NewsJump:
    """News that moves the fair value by ``move`` (a fraction, + up) at ``second``."""

    second: int  # simulated seconds since midnight
    move: float

    def __post_init__(self) -> None:
        assert -0.5 < self.move < 1.0 and self.move, self.move


@dataclass(frozen=True, slots=True)
class Halt:
    """A trading pause: from ``start_s`` until the reopening cross at ``end_s``."""

    start_s: int
    end_s: int
    direction: str  # "UP" or "DOWN": the band the fair value went beyond
    band_half_ticks: int  # the band's price


def day_news_jumps(seed: str, *, open_ns: int, close_ns: int, chance: float) -> tuple[NewsJump, ...]:
    """An instrument's day: with ``chance``, one news jump of 6-12% (either way) between 30
    minutes after the open and an hour before the close."""
    rng = random.Random(f"{seed}:news-jumps")
    if rng.random() >= chance:
        return ()
    second = rng.randint(open_ns // NS_PER_S + 1_800, close_ns // NS_PER_S - 3_600)
    return (NewsJump(second, rng.choice((-1, 1)) * rng.uniform(0.06, 0.12)),)


class VolatilityHalts:
    """Price bands around the five-minute reference, the pause, the reopening."""

    # A checkpoint from before halts existed unpickles with no jumps and no halt
    news_jumps: tuple[NewsJump, ...] = ()
    halt: Halt | None = None
    halts: tuple[Halt, ...] = ()
    _mids: deque | None = None  # the last REFERENCE_S seconds' mids, in half ticks
    _mids_total = 0

    def _halts_setup(self, news_jumps) -> None:
        self.news_jumps = tuple(sorted(news_jumps, key=lambda j: j.second))
        self._mids = deque(maxlen=REFERENCE_S)

    @property
    def halted(self) -> bool:
        return self.halt is not None

    def price_bands(self, second: int) -> tuple[int, int] | None:
        """The lower and upper band, in half ticks, at ``second``; None before any reference."""
        if not self._mids:
            return None
        reference = self._mids_total / len(self._mids)
        into, left = second - self.open_ns // NS_PER_S, self.close_ns // NS_PER_S - second
        band = WIDE_BAND if into < BAND_OPEN_S or left < BAND_CLOSE_S else BAND
        return math.ceil(reference * (1 - band)), math.floor(reference * (1 + band))

    def _halt_seconds(self, first: int, last: int, prints: list[Print]) -> None:
        """Per second: the reference price, a news jump, a pause that begins or ends."""
        if self._mids is None:
            return
        mid = self.mid_ticks_x2()
        for second in range(first, last + 1):
            if self.halt is not None:
                if second >= self.halt.end_s:
                    self._reopen(second, prints)
                continue
            for jump in self.news_jumps:
                if jump.second == second:
                    self.fundamental = max(SUBTICKS, round(self.fundamental * (1 + self.path_sign * jump.move)))
            bands = self.price_bands(second)
            fair = 2 * self.fair_value_ticks()
            if bands is not None and not bands[0] <= fair <= bands[1]:
                up = fair > bands[1]
                self.halt = Halt(second, second + PAUSE_S, "UP" if up else "DOWN", bands[1] if up else bands[0])
                self.halts = (*self.halts, self.halt)
                self._auction_messages = (
                    *self._auction_messages,
                    AuctionPublished(second * NS_PER_S, self.listing, "HALT", self.halt.band_half_ticks, 0, 0),
                )
                continue
            if mid is not None:
                if len(self._mids) == self._mids.maxlen:
                    self._mids_total -= self._mids[0]
                self._mids.append(mid)
                self._mids_total += mid

    def _reopen(self, second: int, prints: list[Print]) -> None:
        """The reopening cross on the listing venue; then liquidity providers quote afresh
        around its price on every lit venue (what they quoted before the news is withdrawn)."""
        now = second * NS_PER_S
        rng = random.Random(f"{self.path_seed}:{self.path_sign}:reopen:{second}")
        cross = self._listing_uncross(
            self._reopening_interest(), now, rng, prints, unexecuted="not executed in the reopening auction"
        )
        self.halt = None
        price = cross.price_half_ticks
        if price is not None:
            self._requote(rng, price // 2, prints)
            self._mids.clear()  # the reference starts again from the reopening
            self._mids_total = 0
        self._auction_messages = (
            *self._auction_messages,
            AuctionPublished(now, self.listing, "REOPEN", price, cross.volume, cross.imbalance),
        )

    def _requote(self, rng: random.Random, price: int, prints: list[Print]) -> None:
        """Every background quote is withdrawn and the books start again, ten levels a side of
        ``price`` (ticks), as at the open; orders of ours stay where they rest."""
        for order_id, book in self._background_orders:
            book.cancel(order_id)
        self._background_orders = []
        for code in self.books:
            if self.venue_status.get(code) == DOWN:
                continue
            for level in range(1, 11):
                for _ in range(3):
                    for side, at in ((BUY, price - level), (SELL, price + level)):
                        self._background_rest(rng, code, side, self._size(rng), max(1, at), prints)

    def _reopening_interest(self) -> list[AuctionOrder]:
        """Background interest for the reopening, around the news's new fair value."""
        draw = random.Random(f"{self.path_seed}:{self.path_sign}:reopen:{self.halt.start_s}")
        mean_size = REOPEN_SHARE * self._expected_day_volume() / (REOPEN_ORDERS / 2)
        return self._drawn_interest(draw, REOPEN_ORDERS, 0.5, mean_size)
