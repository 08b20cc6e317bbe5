"""Simulated market for one instrument: lit books, dark pools, background flow, latency.

Pure Python and deterministic. The whole state (books, pools, fundamental value,
impact, clock, the queue of in-flight messages) pickles, so an execution session
checkpoints it after every step and resumes with identical results. No random
generator is kept in the state: each call brings its own, seeded by the caller from
``(session seed, step number)``, which makes a replayed step bit-for-bit the same.

Prices on the lit books are integer ticks. Prices at the order-entry gateway and on
the tape are *half ticks* (twice the price in ticks), because a dark pool crosses at
the NBBO midpoint, which is a half tick whenever the spread is an odd number of ticks.
A lit venue rejects an odd half-tick price as off tick, as US exchanges reject
sub-penny prices.

Our orders reach a venue after its order-entry latency and we learn what happened
after its report latency, both with a heavy-tailed jitter. Background flow has limit,
market and cancel arrivals whose rate follows an intraday U-curve and excites itself
(each market order raises the rate for a while, so arrivals cluster). A latent
fundamental value follows a random walk; our trading moves it permanently and,
through a decaying transient term, temporarily. Liquidity providers refill a touch
shortly after it is taken.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .book import BUY, DAY, FOK, SELL, BookError, OrderBook, Trade
from .clock import NS_PER_S
from .venues import DARK, MAKER, TAKER, VenueSpec

SUBTICKS = 100  # fundamental resolution: hundredths of a tick
BACKGROUND = "bg"
MIDPOINT = 0  # aggressor side of a dark midpoint cross: neither side crossed a spread

# Execution report kinds, past tense: what the venue did.
ACCEPTED = "ACCEPTED"
REJECTED = "REJECTED"
FILLED = "FILLED"
CANCELED = "CANCELED"
REPLACED = "REPLACED"


class Level1(NamedTuple):
    """The consolidated top of book at ``time_ns``: prices in ticks, sizes in shares."""

    time_ns: int
    bid: int | None
    bid_size: int
    ask: int | None
    ask_size: int


class Print(NamedTuple):  # a tuple: the tape takes one per trade, hundreds of thousands a day
    """One trade on the consolidated tape (dark prints included, as reported to the TRF)."""

    time_ns: int
    venue: str
    price_half_ticks: int
    quantity: int
    aggressor_side: int  # BUY, SELL, or MIDPOINT for a dark cross
    maker_owner: str
    taker_owner: str
    maker_order_id: int
    taker_order_id: int


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """What a venue tells us about one of our orders, as of ``venue_time_ns``."""

    time_ns: int  # when the report reaches us
    venue_time_ns: int
    order_id: int
    venue: str
    kind: str
    quantity: int = 0  # filled, cancelled, or the new size of a replace
    price_half_ticks: int | None = None
    liquidity: str = ""
    leaves: int = 0  # still open at the venue after this event
    reason: str = ""


@dataclass(slots=True)
class OurOrder:
    order_id: int
    venue: str
    side: int
    quantity: int  # still open
    price_half_ticks: int | None
    owner: str
    tif: str
    post_only: bool
    min_quantity: int
    live: bool = False  # reached the venue and rests there
    executed: int = 0


@dataclass(slots=True)
class DarkContra:
    order_id: int
    side: int
    quantity: int
    expires_ns: int


@dataclass(slots=True)
class DarkPool:
    """A pool with no displayed quotes: resting interest crosses at the NBBO midpoint."""

    spec: VenueSpec
    ours: list[OurOrder] = field(default_factory=list)
    contra: list[DarkContra] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FlowParameters:
    events_per_s: float = 12.0
    limit_share: float = 0.75  # of lit arrivals; the rest are market orders
    resting_target: int = 600  # cancels scale with resting orders, balancing near this count
    volatility_bps_per_min: float = 7.0
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
        path_seed: int | None = None,
        path_sign: int = 1,
    ) -> None:
        self.specs = {v.code: v for v in venues}
        self.venues = {v.code: v for v in venues if v.kind != DARK}  # the lit venues
        self.books = {code: OrderBook() for code in self.venues}
        self._lit_books = list(self.books.values())
        # (code, book, flow share) per lit venue, in a fixed order: order protection's scan
        self._lit_entries = [(code, book, self.venues[code].flow_share) for code, book in self.books.items()]
        self.pools = {v.code: DarkPool(v) for v in venues if v.kind == DARK}
        self.open_ns = open_ns
        self.close_ns = close_ns
        self.clock_ns = open_ns
        self.flow = flow or FlowParameters()
        self.reference_ticks = reference_ticks
        self.fundamental = reference_ticks * SUBTICKS
        # The fundamental's random walk is drawn per whole second from this seed alone, so
        # the same seed gives the same "news" path whatever anyone trades: replays and
        # counterfactual runs of other algorithms face the same market.
        self.path_seed = warm_up_seed if path_seed is None else path_seed
        self.path_sign = path_sign  # −1 mirrors the path: antithetic runs for variance reduction
        self._news_minute: int | None = None  # the minute whose per-second shocks are in _news
        self._news: list[float] = []
        self.permanent = 0.0  # our trading's lasting impact, in subticks (kept exact, not rounded per fill)
        self.transient = 0.0  # decaying impact of our trading, in subticks
        self._our_flow = 0.0  # our recent signed volume, decaying
        self.events_processed = 0  # background arrivals and cancels, for benchmarks
        self._next_order_id = 1
        self._background_orders: list[tuple[int, OrderBook]] = []  # resting, or since filled
        self._lit_cumulative = list(itertools.accumulate(v.flow_share for v in self.venues.values()))
        self._dark_codes = list(self.pools)
        self._dark_share = sum(p.spec.dark.arrivals_share for p in self.pools.values())
        self._limit_share = self.flow.limit_share
        self._arrival_weight = 1.0 + self._dark_share  # lit arrivals weigh 1, dark contra their share
        self._cancel_weight_per_order = self.flow.limit_share / self.flow.resting_target
        self._excitation = 0.0  # extra arrivals per second from recent market orders, as of:
        self._excitation_ns = open_ns
        self._excitation_decay_ns = self.flow.excitation_decay_s * NS_PER_S
        self._refill_delay_ns = self.flow.refill_delay_ms * 1e6
        self._excitation_jump = self.flow.events_per_market_order / self.flow.excitation_decay_s
        self._next_second_ns = (open_ns // NS_PER_S + 1) * NS_PER_S  # the next per-second work
        self._base_rate = self.flow.events_per_s * intraday_intensity(0.0)  # arrivals per second, U-curve
        self._next_background_ns: int | None = None
        self._queue: list[tuple[int, int, tuple]] = []  # (time, seq, message): in-flight events
        self._queue_seq = 0
        self._ours: dict[int, OurOrder] = {}
        self._last_arrival: dict[str, int] = {}
        self._last_report: dict[str, int] = {}
        self._order_venue: dict[int, str] = {}  # every order we sent, done or not
        self._reports: list[tuple[int, int, ExecutionReport]] = []
        self._warm_up(random.Random(warm_up_seed))

    # --- market data --------------------------------------------------------------
    def nbbo(self) -> tuple[int | None, int | None]:
        bid = ask = None
        for book in self._lit_books:
            bids, asks = book.bid_prices, book.ask_prices
            if bids and (bid is None or bids[-1] > bid):
                bid = bids[-1]
            if asks and (ask is None or asks[0] < ask):
                ask = asks[0]
        return bid, ask

    def mid_ticks_x2(self) -> int | None:
        """Twice the NBBO mid in ticks, i.e. the mid in half ticks."""
        bid, ask = self.nbbo()
        if bid is None or ask is None:
            return None
        return bid + ask

    def l1(self) -> Level1:
        """The NBBO with the displayed size at it, summed over the venues quoting it."""
        bid, ask = self.nbbo()
        bid_size = sum(book.level_quantity(BUY, bid) for book in self._lit_books) if bid is not None else 0
        ask_size = sum(book.level_quantity(SELL, ask) for book in self._lit_books) if ask is not None else 0
        return Level1(self.clock_ns, bid, bid_size, ask, ask_size)

    def l2(self, levels: int = 5) -> dict[str, dict[str, list[tuple[int, int]]]]:
        """Displayed depth per lit venue: ``{venue: {"bids": [(ticks, qty)...], "asks": ...}}``."""
        return {
            code: {"bids": book.depth(BUY, levels), "asks": book.depth(SELL, levels)}
            for code, book in self.books.items()
        }

    def linear_permanent_impact(self, quantity: int) -> float:
        """Ticks per share of a linear permanent impact matching ours for a metaorder this
        large: what an Almgren–Chriss model of this market should use as γ."""
        flow = self.flow
        sigma_day = flow.volatility_bps_per_min * math.sqrt(390) / 1e4 * self.reference_ticks
        total = flow.impact_y * sigma_day * math.sqrt(max(quantity, 1) / flow.daily_volume)
        return flow.permanent_impact_share * total / max(quantity, 1)

    def fair_value_ticks(self) -> float:
        return (self.fundamental + self.permanent + self.transient) / SUBTICKS

    def next_order_id(self) -> int:
        order_id = self._next_order_id
        self._next_order_id += 1
        return order_id

    # --- our orders: sent now, they reach the venue after its entry latency ----------
    def send_order(
        self,
        rng: random.Random,
        *,
        venue: str,
        side: int,
        quantity: int,
        price_half_ticks: int | None,
        owner: str,
        tif: str = DAY,
        post_only: bool = False,
        min_quantity: int = 0,
    ) -> int:
        """Send a new order; returns its venue order id. A dark order is a midpoint peg
        with ``price_half_ticks`` as its limit."""
        order_id = self.next_order_id()
        order = OurOrder(order_id, venue, side, quantity, price_half_ticks, owner, tif, post_only, min_quantity)
        self._ours[order_id] = order
        self._order_venue[order_id] = venue
        self._send(rng, venue, ("new", order_id))
        return order_id

    def send_cancel(self, rng: random.Random, order_id: int) -> None:
        self._send(rng, self._order_venue[order_id], ("cancel", order_id))

    def send_replace(self, rng: random.Random, order_id: int, *, quantity: int, price_half_ticks: int) -> None:
        """Cancel/replace with FIX semantics: ``quantity`` is the new total order quantity,
        executions included, so a replace that crosses a fill on the wire never adds size."""
        self._send(rng, self._order_venue[order_id], ("replace", order_id, quantity, price_half_ticks))

    def take_reports(self, until_ns: int) -> list[ExecutionReport]:
        """Reports that have reached us by ``until_ns``, in arrival order."""
        taken = []
        while self._reports and self._reports[0][0] <= until_ns:
            taken.append(heapq.heappop(self._reports)[2])
        return taken

    # --- the clock ----------------------------------------------------------------------
    def run_until(self, end_ns: int, rng: random.Random) -> list[Print]:
        """Advance to ``end_ns``: deliver in-flight messages and background arrivals in
        time order; return the tape's prints."""
        prints: list[Print] = []
        queue = self._queue
        background = self._next_background_ns
        if background is None:
            # The day's first arrival: nothing has traded yet, so nothing excites the rate.
            background = self.clock_ns + int(-math.log(1.0 - rng.random()) / self._base_rate * NS_PER_S) + 1
        events = 0
        while True:
            if queue and queue[0][0] <= background:  # a tie goes to the message
                at = queue[0][0]
                if at > end_ns:
                    break
                if at >= self._next_second_ns:
                    self._cross_seconds(at)
                if at > self.clock_ns:
                    self.clock_ns = at
                self._deliver(rng, heapq.heappop(queue)[2], prints)
            else:
                at = background
                if at > end_ns:
                    break
                if at >= self._next_second_ns:
                    self._cross_seconds(at)
                self.clock_ns = at
                events += 1
                background = self._background_event(rng, prints)
        self._next_background_ns = background
        self.events_processed += events
        if end_ns >= self._next_second_ns:
            self._cross_seconds(end_ns)
        if end_ns > self.clock_ns:
            self.clock_ns = end_ns
        return prints

    def _cross_seconds(self, to_ns: int) -> None:
        """Once per whole second: the news shock, the decay of our impact, the U-curve rate.

        Doing this at second boundaries only (not on every event) makes the state at any
        instant independent of how the caller chunks ``run_until``.
        """
        first, last = self._next_second_ns // NS_PER_S, to_ns // NS_PER_S
        flow = self.flow
        for second in range(first, last + 1):
            self.fundamental += self.path_sign * round(self._news_shock(second))
        self.fundamental = max(self.fundamental, SUBTICKS)
        if self.transient or self._our_flow:
            decay = math.exp(-(last - first + 1) / flow.impact_decay_s)
            self.transient *= decay
            self._our_flow *= decay
        day = self.close_ns - self.open_ns
        self._base_rate = flow.events_per_s * intraday_intensity((last * NS_PER_S - self.open_ns) / day)
        self._next_second_ns = (last + 1) * NS_PER_S

    def _news_shock(self, second: int) -> float:
        """The fundamental's move over one second, in subticks: a function of the path seed
        and the second alone. Drawn a minute at a time, as seeding a generator costs more
        than the draws."""
        minute, index = divmod(second, 60)
        if minute != self._news_minute:
            news = random.Random(self.path_seed * 100_003 + minute)
            sigma_per_s = self.flow.volatility_bps_per_min / 1e4 * self.reference_ticks * SUBTICKS / math.sqrt(60)
            self._news = [news.gauss(0.0, sigma_per_s) for _ in range(60)]
            self._news_minute = minute
        return self._news[index]

    # --- in-flight messages ---------------------------------------------------------
    def _send(self, rng: random.Random, venue: str, message: tuple) -> None:
        # One order-entry session per venue delivers in order: a cancel never overtakes its new.
        arrives = max(self.clock_ns + self.specs[venue].entry_latency.sample(rng), self._last_arrival.get(venue, 0) + 1)
        self._last_arrival[venue] = arrives
        self._schedule(arrives, message)

    def _schedule(self, at_ns: int, message: tuple) -> None:
        self._queue_seq += 1
        heapq.heappush(self._queue, (at_ns, self._queue_seq, message))

    def _report(self, rng: random.Random, order: OurOrder, kind: str, **fields) -> None:
        # Reports on one venue's session arrive in order: an order's last report is its last.
        venue = order.venue
        arrives = max(self.clock_ns + self.specs[venue].report_latency.sample(rng), self._last_report.get(venue, 0) + 1)
        self._last_report[venue] = arrives
        report = ExecutionReport(arrives, self.clock_ns, order.order_id, venue, kind, **fields)
        self._queue_seq += 1
        heapq.heappush(self._reports, (report.time_ns, self._queue_seq, report))

    def _deliver(self, rng: random.Random, message: tuple, prints: list[Print]) -> None:
        kind = message[0]
        if kind == "refill":
            self._refill(rng, message[1], message[2], prints)
            return
        order = self._ours.get(message[1])
        if order is None:  # already done: the cancel or replace crossed its last fill on the wire
            if kind != "new":
                done = OurOrder(message[1], self._order_venue[message[1]], 0, 0, None, "", DAY, False, 0)
                self._report(rng, done, REJECTED, reason="too late: the order is already done")
            return
        if kind == "new":
            self._arrive(rng, order, prints)
        elif kind == "cancel":
            self._cancel(rng, order)
        else:
            self._replace(rng, order, message[2], message[3], prints)

    def _reject(self, rng: random.Random, order: OurOrder, reason: str) -> None:
        del self._ours[order.order_id]
        self._report(rng, order, REJECTED, reason=reason)

    def _arrive(self, rng: random.Random, order: OurOrder, prints: list[Print]) -> None:
        if order.quantity <= 0:
            self._reject(rng, order, f"quantity must be positive, got {order.quantity}")
            return
        if order.venue in self.pools:
            self._dark_arrive(rng, order, prints)
            return
        price = order.price_half_ticks
        if price is not None and price % 2:
            self._reject(rng, order, "price off tick")
            return
        book = self.books[order.venue]
        try:
            trades = book.submit(
                order.order_id,
                order.side,
                order.quantity,
                None if price is None else price // 2,
                order.owner,
                tif=order.tif,
                post_only=order.post_only,
            )
        except BookError as refused:
            self._reject(rng, order, str(refused))
            return
        self._report(rng, order, ACCEPTED, leaves=order.quantity)
        self._record_trades(rng, order.venue, trades, prints)
        if book.get(order.order_id) is not None:
            order.live = True
        elif order.order_id in self._ours:  # IOC or FOK remainder, or a market order's
            self._ours.pop(order.order_id)
            self._report(rng, order, CANCELED, quantity=order.quantity, reason=f"{order.tif} remainder")

    def _cancel(self, rng: random.Random, order: OurOrder) -> None:
        if order.venue in self.pools:
            if order in self.pools[order.venue].ours:
                self.pools[order.venue].ours.remove(order)
        else:
            self.books[order.venue].cancel(order.order_id)
        del self._ours[order.order_id]
        self._report(rng, order, CANCELED, quantity=order.quantity, reason="requested")

    def _replace(self, rng: random.Random, order: OurOrder, total: int, price: int, prints: list[Print]) -> None:
        quantity = total - order.executed
        if quantity <= 0:
            self._report(rng, order, REJECTED, reason="too late to replace: already executed")
            return
        if order.venue in self.pools:
            self._report(rng, order, REJECTED, reason="replace not supported in a dark pool; cancel instead")
            return
        if price % 2:
            self._report(rng, order, REJECTED, reason="price off tick")
            return
        try:
            trades = self.books[order.venue].replace(order.order_id, quantity=quantity, price=price // 2)
        except BookError as refused:
            self._report(rng, order, REJECTED, reason=str(refused))
            return
        order.quantity, order.price_half_ticks = quantity, price
        self._report(rng, order, REPLACED, quantity=quantity, price_half_ticks=price, leaves=quantity)
        self._record_trades(rng, order.venue, trades, prints)

    def _record_trades(self, rng: random.Random, venue: str, trades: list[Trade], prints: list[Print]) -> None:
        if not trades:
            return
        now = self.clock_ns
        ours = self._ours
        for t in trades:
            prints.append(
                Print(
                    now,
                    venue,
                    t.price * 2,
                    t.quantity,
                    t.aggressor_side,
                    t.maker_owner,
                    t.taker_owner,
                    t.maker_order_id,
                    t.taker_order_id,
                )
            )
            if ours:
                for order_id, liquidity in ((t.maker_order_id, MAKER), (t.taker_order_id, TAKER)):
                    order = ours.get(order_id)
                    if order is not None:
                        self._our_fill(rng, order, t.quantity, t.price * 2, liquidity)
        hit_side = -trades[-1].aggressor_side
        if self._refill_quote(venue, hit_side) is not None:  # the hit left the side thin: react
            delay_ns = int(self._refill_delay_ns * -math.log(1.0 - rng.random()))  # exponential
            self._schedule(now + delay_ns + 1, ("refill", venue, hit_side))

    def _our_fill(self, rng: random.Random, order: OurOrder, quantity: int, price_half_ticks: int, liquidity: str):
        order.quantity -= quantity
        order.executed += quantity
        self._report(
            rng,
            order,
            FILLED,
            quantity=quantity,
            price_half_ticks=price_half_ticks,
            liquidity=liquidity,
            leaves=order.quantity,
        )
        self._impact(order.side, quantity, liquidity, dark=order.venue in self.pools)
        if not order.quantity:
            del self._ours[order.order_id]

    def _impact(self, side: int, quantity: int, liquidity: str, *, dark: bool = False) -> None:
        """Our trading moves the fair value: permanently, and transiently (decaying)."""
        flow = self.flow
        weights = {TAKER: 1.0, MAKER: flow.maker_impact_weight}
        weight = flow.dark_impact_weight if dark else weights[liquidity]
        before = self._our_flow
        self._our_flow += side * quantity * weight
        sigma_day = flow.volatility_bps_per_min * math.sqrt(390) / 1e4 * self.reference_ticks * SUBTICKS
        level = flow.impact_y * sigma_day / math.sqrt(flow.daily_volume)

        def impact(f: float) -> float:
            return math.copysign(level * math.sqrt(abs(f)), f)

        increment = impact(self._our_flow) - impact(before)
        self.permanent += flow.permanent_impact_share * increment
        self.transient += (1 - flow.permanent_impact_share) * increment

    # --- dark pools -----------------------------------------------------------------
    def _dark_arrive(self, rng: random.Random, order: OurOrder, prints: list[Print]) -> None:
        pool = self.pools[order.venue]
        self._report(rng, order, ACCEPTED, leaves=order.quantity)
        self._prune_contra(pool)
        for contra in list(pool.contra):
            if contra.side == order.side:
                continue
            if not self._dark_cross(rng, pool, order, contra, prints, taker=True):
                break
            if not order.quantity:
                return
        if order.tif == DAY:
            order.live = True
            pool.ours.append(order)
        else:
            del self._ours[order.order_id]
            self._report(rng, order, CANCELED, quantity=order.quantity, reason=f"{order.tif} remainder")

    def _dark_cross(
        self, rng: random.Random, pool: DarkPool, ours: OurOrder, contra: DarkContra, prints: list[Print], taker: bool
    ) -> bool:
        """Cross at the NBBO mid if both sides' limits and minimum sizes allow; False if the
        mid is outside our limit (no later contra can help either)."""
        mid = self.mid_ticks_x2()
        if mid is None:
            return False
        if ours.price_half_ticks is not None and (mid - ours.price_half_ticks) * ours.side > 0:
            return False
        quantity = min(ours.quantity, contra.quantity)
        minimum = max(pool.spec.dark.min_fill, ours.min_quantity)
        if quantity < minimum or (ours.tif == FOK and quantity < ours.quantity):
            return True
        contra.quantity -= quantity
        if not contra.quantity:
            pool.contra.remove(contra)
        maker, taker_id = (contra.order_id, ours.order_id) if taker else (ours.order_id, contra.order_id)
        prints.append(
            Print(
                self.clock_ns,
                pool.spec.code,
                mid,
                quantity,
                MIDPOINT,
                BACKGROUND if taker else ours.owner,
                ours.owner if taker else BACKGROUND,
                maker,
                taker_id,
            )
        )
        self._our_fill(rng, ours, quantity, mid, TAKER if taker else MAKER)
        if not ours.quantity and ours in pool.ours:
            pool.ours.remove(ours)
        return True

    def _prune_contra(self, pool: DarkPool) -> None:
        pool.contra = [c for c in pool.contra if c.expires_ns > self.clock_ns]

    def _dark_contra_arrives(self, rng: random.Random, prints: list[Print]) -> None:
        code = rng.choices(self._dark_codes, [self.pools[c].spec.dark.arrivals_share for c in self._dark_codes])[0]
        pool = self.pools[code]
        dark = pool.spec.dark
        if rng.random() < dark.informed_share:
            # Informed contra trades towards the fair value: it buys when the price is
            # about to rise, so whoever sold to it sees the mid move against them.
            mid = self.mid_ticks_x2()
            side = BUY if mid is None or 2 * self.fair_value_ticks() >= mid else SELL
        else:
            side = BUY if rng.random() < 0.5 else SELL
        size = max(dark.min_fill, 100 * round(dark.median_size * math.exp(rng.gauss(0.0, 0.8)) / 100))
        contra = DarkContra(
            self.next_order_id(), side, size, self.clock_ns + int(rng.expovariate(1.0 / dark.lifetime_s) * NS_PER_S)
        )
        self._prune_contra(pool)
        pool.contra.append(contra)
        for ours in list(pool.ours):
            if ours.side == side or not contra.quantity:
                continue
            self._dark_cross(rng, pool, ours, contra, prints, taker=False)

    # --- background flow ------------------------------------------------------------
    def _background_event(self, rng: random.Random, prints: list[Print]) -> int:
        """One background arrival or cancel at the clock; returns when the next one comes.

        Zero-intelligence flow: arrivals at a fixed mix, cancels in proportion to what
        rests, so the book neither empties nor grows without bound. Limit orders and
        cancels, nine events in ten, are written out here rather than called: this runs
        half a million times a simulated day.
        """
        random_ = rng.random
        now = self.clock_ns
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
