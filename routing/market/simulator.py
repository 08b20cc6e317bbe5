"""Simulated market for one instrument across lit venues. Pure Python, deterministic.

The state (books, fundamental value, clock, id counter) pickles, so an execution
session checkpoints it after every step and resumes with identical results. No
random generator is kept in the state: each step brings its own, seeded from
``(session seed, step number)``, which makes a replayed step bit-for-bit the same.

Background flow: limit, market and cancel arrivals (Poisson, intensity following an
intraday U-curve) placed around a latent fundamental value that follows a random
walk. The fundamental is held in integer hundredths of a tick; order prices are
always whole ticks.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from .book import BUY, SELL, OrderBook, Trade
from .venues import VenueSpec

NS_PER_S = 1_000_000_000
SUBTICKS = 100  # fundamental resolution: hundredths of a tick
BACKGROUND = "bg"


@dataclass(frozen=True, slots=True)
class Print:
    """One trade on the consolidated tape."""

    time_ns: int
    venue: str
    price: int
    quantity: int
    aggressor_side: int
    maker_owner: str
    taker_owner: str
    maker_order_id: int
    taker_order_id: int


@dataclass(frozen=True, slots=True)
class FlowParameters:
    events_per_s: float = 12.0
    limit_share: float = 0.75  # of arrivals; the rest of the arrivals are market orders
    resting_target: int = 600  # cancels scale with resting orders, balancing near this count
    volatility_bps_per_min: float = 7.0
    impact_bps_per_1000_shares: float = 0.3


def intraday_intensity(fraction_of_day: float) -> float:
    """U-shaped multiplier of the arrival rate: busy open, quiet midday, busiest close."""
    x = min(max(fraction_of_day, 0.0), 1.0)
    return 0.5 + 1.5 * math.exp(-x / 0.05) + 3.0 * math.exp(-(1.0 - x) / 0.06)


class MarketSimulator:
    def __init__(
        self,
        *,
        venues: Sequence[VenueSpec],
        reference_ticks: int,
        open_ns: int,
        close_ns: int,
        flow: FlowParameters | None = None,
        warm_up_seed: int = 0,
    ) -> None:
        self.venues = {v.code: v for v in venues if v.kind == "LIT"}
        self.books = {code: OrderBook() for code in self.venues}
        self.open_ns = open_ns
        self.close_ns = close_ns
        self.clock_ns = open_ns
        self.flow = flow or FlowParameters()
        self.reference_ticks = reference_ticks
        self.fundamental = reference_ticks * SUBTICKS
        self._next_order_id = 1
        self.events_processed = 0  # background arrivals and cancels, for benchmarks
        self._background_ids: list[int] = []
        self._venue_codes = list(self.venues)
        self._venue_weights = [self.venues[c].flow_share for c in self._venue_codes]
        self._warm_up(random.Random(warm_up_seed))

    # --- market data --------------------------------------------------------------
    def nbbo(self) -> tuple[int | None, int | None]:
        bids = [b for b in (book.best_bid() for book in self.books.values()) if b is not None]
        asks = [a for a in (book.best_ask() for book in self.books.values()) if a is not None]
        return (max(bids) if bids else None, min(asks) if asks else None)

    def mid_ticks_x2(self) -> int | None:
        """Twice the NBBO mid, so the mid stays an integer on a half tick."""
        bid, ask = self.nbbo()
        if bid is None or ask is None:
            return None
        return bid + ask

    def next_order_id(self) -> int:
        order_id = self._next_order_id
        self._next_order_id += 1
        return order_id

    # --- our orders ---------------------------------------------------------------
    def execute_ioc(
        self, venue: str, side: int, quantity: int, limit: int | None, owner: str
    ) -> tuple[int, list[Print]]:
        """An immediate-or-cancel order of ours at ``venue``; returns its id and prints."""
        order_id = self.next_order_id()
        trades = self.books[venue].submit(order_id, side, quantity, limit, owner, immediate_or_cancel=True)
        traded = sum(t.quantity for t in trades)
        if traded:
            self._apply_permanent_impact(side, traded)
        return order_id, [self._print(venue, t) for t in trades]

    # --- background flow ------------------------------------------------------------
    def run_until(self, end_ns: int, rng: random.Random) -> list[Print]:
        """Advance the clock to ``end_ns`` with background arrivals; return the prints."""
        prints: list[Print] = []
        day = self.close_ns - self.open_ns
        while True:
            rate = self.flow.events_per_s * intraday_intensity((self.clock_ns - self.open_ns) / day)
            gap_ns = int(rng.expovariate(rate) * NS_PER_S) + 1
            if self.clock_ns + gap_ns > end_ns:
                self._diffuse(rng, end_ns - self.clock_ns)
                self.clock_ns = end_ns
                return prints
            self._diffuse(rng, gap_ns)
            self.clock_ns += gap_ns
            self.events_processed += 1
            prints.extend(self._background_event(rng))

    def _diffuse(self, rng: random.Random, elapsed_ns: int) -> None:
        if elapsed_ns <= 0:
            return
        sigma_per_sqrt_s = self.flow.volatility_bps_per_min / 1e4 * self.reference_ticks * SUBTICKS / math.sqrt(60)
        self.fundamental += round(rng.gauss(0.0, sigma_per_sqrt_s * math.sqrt(elapsed_ns / NS_PER_S)))
        self.fundamental = max(self.fundamental, SUBTICKS)

    def _background_event(self, rng: random.Random) -> list[Print]:
        # Zero-intelligence flow: arrivals at a fixed mix, cancels in proportion to
        # what rests, so the book neither empties nor grows without bound.
        cancel_weight = self.flow.limit_share * len(self._background_ids) / self.flow.resting_target
        draw = rng.random() * (1.0 + cancel_weight)
        if draw >= 1.0:
            self._background_cancel(rng)
            return []
        if draw < self.flow.limit_share:
            venue = rng.choices(self._venue_codes, self._venue_weights)[0]
            return self._background_limit(rng, venue)
        return self._background_market(rng)

    def _background_limit(self, rng: random.Random, venue: str) -> list[Print]:
        side = BUY if rng.random() < 0.5 else SELL
        fair = self.fundamental // SUBTICKS
        offset = 1 + int(rng.expovariate(0.6))
        price = max(1, fair - offset) if side == BUY else fair + offset
        order_id = self.next_order_id()
        quantity, prints = self._take_protected_quotes(side, self._size(rng), price)
        if quantity:
            trades = self.books[venue].submit(order_id, side, quantity, price, BACKGROUND)
            prints.extend(self._print(venue, t) for t in trades)
            if self.books[venue].get(order_id) is not None:
                self._background_ids.append(order_id)
        return prints

    def _take_protected_quotes(self, side: int, quantity: int, limit: int) -> tuple[int, list[Print]]:
        """Order protection: a marketable order first takes better quotes on other venues.

        Keeps the consolidated book from locking or crossing across venues. Returns
        the quantity left and the prints made.
        """
        prints: list[Print] = []
        while quantity:
            bid, ask = self.nbbo()
            best = ask if side == BUY else bid
            if best is None or (best - limit) * side > 0:
                break
            venue = next(
                code
                for code, book in self.books.items()
                if (book.best_ask() if side == BUY else book.best_bid()) == best
            )
            trades = self.books[venue].submit(
                self.next_order_id(), side, quantity, best, BACKGROUND, immediate_or_cancel=True
            )
            quantity -= sum(t.quantity for t in trades)
            prints.extend(self._print(venue, t) for t in trades)
        return quantity, prints

    def _background_market(self, rng: random.Random) -> list[Print]:
        # Takers lean towards the side the fundamental says is cheap.
        mid2 = self.mid_ticks_x2()
        lean = 0.0 if mid2 is None else (2 * self.fundamental / SUBTICKS - mid2) / 4.0
        side = BUY if rng.random() < min(0.9, max(0.1, 0.5 + lean)) else SELL
        bid, ask = self.nbbo()
        touch = ask if side == BUY else bid
        if touch is None:
            return []
        # Takers sweep at most a few ticks through the touch, as a marketable limit.
        _, prints = self._take_protected_quotes(side, self._size(rng), touch + 3 * side)
        return prints

    def _background_cancel(self, rng: random.Random) -> None:
        ids = self._background_ids
        while ids:
            index = rng.randrange(len(ids))
            order_id = ids[index]
            ids[index] = ids[-1]
            ids.pop()
            for book in self.books.values():
                if book.cancel(order_id):
                    return

    @staticmethod
    def _size(rng: random.Random) -> int:
        """Round lots are the rule, with a heavy (Pareto) tail of larger orders."""
        return 100 * min(50, int(rng.paretovariate(1.6)))

    def _apply_permanent_impact(self, side: int, quantity: int) -> None:
        per_share = self.flow.impact_bps_per_1000_shares / 1e4 / 1000 * self.reference_ticks * SUBTICKS
        self.fundamental += side * round(per_share * quantity)

    def _print(self, venue: str, trade: Trade) -> Print:
        return Print(
            self.clock_ns,
            venue,
            trade.price,
            trade.quantity,
            trade.aggressor_side,
            trade.maker_owner,
            trade.taker_owner,
            trade.maker_order_id,
            trade.taker_order_id,
        )

    def _warm_up(self, rng: random.Random) -> None:
        """Start the day with a populated book on every venue: ten levels a side."""
        fair = self.fundamental // SUBTICKS
        for book in self.books.values():
            for level in range(1, 11):
                for _ in range(3):
                    for side, price in ((BUY, fair - level), (SELL, fair + level)):
                        order_id = self.next_order_id()
                        book.submit(order_id, side, self._size(rng), price, BACKGROUND)
                        self._background_ids.append(order_id)
