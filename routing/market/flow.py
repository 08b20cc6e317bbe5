"""Background flow: zero-intelligence limit, market and cancel arrivals whose rate follows an
intraday U-curve and excites itself, order protection across venues, liquidity providers
refilling a touch that was hit, and the opening book. Methods of ``MarketSimulator``, kept
here by topic: they share its state. Pure Python."""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass

from .book import BUY, SELL
from .clock import NS_PER_S
from .impact import SUBTICKS
from .messages import BACKGROUND, Print


@dataclass(frozen=True, slots=True)
class FlowParameters:
    events_per_s: float = 12.0
    limit_share: float = 0.75  # of lit arrivals; the rest are market orders
    resting_target: int = 600  # cancels scale with resting orders, balancing near this count
    volatility_bps_per_min: float = 7.0
    # Stochastic volatility: the news's log-volatility is an AR(1) per minute with this memory
    # and stationary standard deviation (its mean variance stays volatility_bps_per_min²), which
    # gives 1-minute returns heavy tails and absolute returns a slowly decaying autocorrelation.
    volatility_memory_min: float = 30.0
    volatility_of_volatility: float = 0.5
    # Self-excitation: each market order triggers this many extra arrivals on average,
    # spread over an exponential decay; with ~14% of events being market orders the
    # branching ratio stays near 0.4, bursty but stable.
    events_per_market_order: float = 3.0
    excitation_decay_s: float = 0.25
    # Impact of our trading: Y·σ_day·√(F/V) where F is our recent signed volume (decaying
    # with ``impact_decay_s``) and V the expected daily volume; a share of each increment
    # is permanent. Concave in size by construction, as the square-root law observes.
    impact_y: float = 0.7
    daily_volume: int = 24_000_000
    impact_decay_s: float = 1800.0
    permanent_impact_share: float = 0.35
    maker_impact_weight: float = 0.5  # passive fills move the price less than taking
    dark_impact_weight: float = 0.2  # a dark cross displays nothing: it leaks least
    refill_delay_ms: float = 150.0  # liquidity providers' reaction to a taken touch


def intraday_intensity(fraction_of_day: float) -> float:
    """U-shaped multiplier of the arrival rate: a busy open, a midday lull, the busiest close.

    Shaped so a simulated day trades about 10% of its volume in the first 30 minutes,
    about 20% in the last 30 and under 5% in the quietest (the stylized-facts tests).
    """
    x = min(max(fraction_of_day, 0.0), 1.0)
    return 0.3 + 0.5 * math.exp(-x / 0.05) + 1.5 * math.exp(-(1.0 - x) / 0.08) + 3.0 * (x - 0.45) ** 2


class BackgroundFlow:
    """Everyone else in the market."""

    def _background_event(self, rng: random.Random, prints: list[Print]) -> int:
        """One background arrival or cancel at the clock; returns when the next one comes.

        Zero-intelligence flow: arrivals at a fixed mix, cancels in proportion to what
        rests, so the book neither empties nor grows without bound. Limit orders and
        cancels, nine events in ten, are written out here rather than called: this runs
        half a million times a simulated day.
        """
        random_ = rng.random
        now = self.clock_ns
        if self.halt is not None:  # nobody trades in a pause: the flow resumes at the reopening
            return self.halt.end_s * NS_PER_S + 1
        if self._excitation:  # decay the self-excited rate to now; a market order adds to it
            excitation = self._excitation * math.exp((self._excitation_ns - now) / self._excitation_decay_ns)
            self._excitation = excitation if excitation >= 1e-3 else 0.0
        self._excitation_ns = now
        orders = self._background_orders
        arrivals = self._arrival_weight
        draw = random_() * (arrivals + self._cancel_weight_per_order * len(orders))
        if draw >= arrivals:  # a random resting order is cancelled (one already filled draws again)
            while orders:
                index = int(random_() * len(orders))
                order_id, book = orders[index]
                orders[index] = orders[-1]
                orders.pop()
                if book.cancel(order_id):
                    break
        elif draw >= 1.0:
            self._dark_contra_arrives(rng, prints)
        elif draw < self._limit_share:  # a limit order a few ticks off the fair value
            cumulative = self._lit_cumulative
            book = self._lit_books[bisect.bisect(cumulative, random_() * cumulative[-1], 0, len(cumulative) - 1)]
            fair = int((self.fundamental + self.permanent + self.transient) / SUBTICKS)
            if random_() < 0.5:
                side = BUY
                price = max(1, fair - 2 - int(-math.log(1.0 - random_()) / 0.6))  # exponential offset, mean 1/0.6
            else:
                side = SELL
                price = fair + 2 + int(-math.log(1.0 - random_()) / 0.6)
            quantity = 100 * min(50, int((1.0 - random_()) ** -0.625))  # as _size
            order_id = self._next_order_id
            self._next_order_id = order_id + 1
            if self._crosses_nbbo(side, price):
                quantity = self._take_protected_quotes(rng, side, quantity, price, prints)
            if quantity:
                book.rest(order_id, side, quantity, price, BACKGROUND)  # it crosses no venue's quote now
                orders.append((order_id, book))
        else:
            self._background_market(rng, prints)
        return now + int(-math.log(1.0 - random_()) / (self._base_rate + self._excitation) * NS_PER_S) + 1

    def _background_rest(
        self, rng: random.Random, venue: str, side: int, quantity: int, price: int, prints: list[Print]
    ) -> None:
        self._next_order_id += 1
        order_id = self._next_order_id - 1
        if self._crosses_nbbo(side, price):
            quantity = self._take_protected_quotes(rng, side, quantity, price, prints)
            if not quantity:
                return
        book = self.books[venue]
        book.rest(order_id, side, quantity, price, BACKGROUND)  # it crosses no venue's quote now
        self._background_orders.append((order_id, book))

    def _crosses_nbbo(self, side: int, price: int) -> bool:
        """Whether a ``side`` limit at ``price`` would take some venue's quote."""
        if side == BUY:
            for book in self._lit_books:
                asks = book.ask_prices
                if asks and asks[0] <= price:
                    return True
        else:
            for book in self._lit_books:
                bids = book.bid_prices
                if bids and bids[-1] >= price:
                    return True
        return False

    def _take_protected_quotes(
        self, rng: random.Random, side: int, quantity: int, limit: int, prints: list[Print]
    ) -> int:
        """Order protection: a marketable order first takes better quotes on other venues.

        Keeps the consolidated book from locking or crossing across venues; among venues
        at the same price, one is picked in proportion to its share of the flow.
        Returns the quantity left.
        """
        lit = self._lit_entries
        while quantity:
            best = chosen = tied = None  # tied: the other venues quoting the best price
            for entry in lit:
                prices = entry[1].ask_prices if side == BUY else entry[1].bid_prices
                if not prices:
                    continue
                price = prices[0] if side == BUY else prices[-1]
                if best is None or (price - best) * side < 0:
                    best, chosen, tied = price, entry, None
                elif price == best:
                    tied = [entry] if tied is None else [*tied, entry]
            if best is None or (best - limit) * side > 0:
                break
            if tied:  # as random.choices would pick, with one draw
                at_best = [chosen, *tied]
                cumulative = list(itertools.accumulate(entry[2] for entry in at_best))
                chosen = at_best[bisect.bisect(cumulative, rng.random() * cumulative[-1], 0, len(at_best) - 1)]
            venue, book, _ = chosen
            self._next_order_id += 1
            trades = book.take(self._next_order_id - 1, side, quantity, best, BACKGROUND)
            for trade in trades:
                quantity -= trade.quantity
            self._record_trades(rng, venue, trades, prints)
        return quantity

    def _background_market(self, rng: random.Random, prints: list[Print]) -> None:
        # Takers lean towards the side the fair value says is cheap.
        bid, ask = self.nbbo()
        lean = 0.0 if bid is None or ask is None else (2 * self.fair_value_ticks() - bid - ask) / 4.0
        side = BUY if rng.random() < min(0.9, max(0.1, 0.5 + lean)) else SELL
        touch = ask if side == BUY else bid
        if touch is None:
            return
        # Takers sweep at most a few ticks through the touch, as a marketable limit.
        self._take_protected_quotes(rng, side, self._size(rng), touch + 3 * side, prints)
        self._excitation += self._excitation_jump  # decayed to now when the event began

    def _refill_quote(self, venue: str, side: int) -> int | None:
        """Where a liquidity provider would quote ``side`` on ``venue``: a tick and a half off
        the fair value. None if the venue already quotes that side at or better than that."""
        fair = (self.fundamental + self.permanent + self.transient) / SUBTICKS
        if side == BUY:
            quote = max(1, math.floor(fair - 1.5))
            bids = self.books[venue].bid_prices
            return None if bids and bids[-1] >= quote else quote
        quote = math.ceil(fair + 1.5)
        asks = self.books[venue].ask_prices
        return None if asks and asks[0] <= quote else quote

    def _refill(self, rng: random.Random, venue: str, side: int, prints: list[Print]) -> None:
        """A liquidity provider re-quotes a side that was hit, after its reaction time, unless
        the venue quotes it well enough again by then: this keeps the spread at a few ticks."""
        if self.venue_status.get(venue) == "DOWN" or self.halt is not None:  # nobody quotes there, or in a pause
            return
        quote = self._refill_quote(venue, side)
        if quote is not None:
            self._background_rest(rng, venue, side, 100 * rng.randint(2, 6), quote, prints)

    @staticmethod
    def _size(rng: random.Random) -> int:
        """Round lots are the rule, with a heavy (Pareto) tail of larger orders."""
        return 100 * min(50, int((1.0 - rng.random()) ** -0.625))  # Pareto, α = 1.6

    def _warm_up(self, rng: random.Random) -> None:
        """Start the day with a populated book on every venue: ten levels a side."""
        fair = self.fundamental // SUBTICKS
        for book in self.books.values():
            for level in range(1, 11):
                for _ in range(3):
                    for side, price in ((BUY, fair - level), (SELL, fair + level)):
                        order_id = self.next_order_id()
                        book.submit(order_id, side, self._size(rng), price, BACKGROUND)
                        self._background_orders.append((order_id, book))
