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

import heapq
import itertools
import math
import random
from collections.abc import Sequence
from types import MappingProxyType

from .book import AT_CLOSE, AT_OPEN, BUY, DAY, SELL, BookError, OrderBook, Trade
from .clock import NS_PER_S
from .closing import ClosingAuction
from .dark import DarkPool, DarkPools
from .flow import BackgroundFlow, FlowParameters, intraday_intensity
from .halts import PAUSED, NewsJump, VolatilityHalts
from .impact import SUBTICKS, Impact
from .incidents import DOWN, REJECTING, UP, VenueIncident, VenueStatusChanged
from .messages import (
    ACCEPTED,
    CANCELED,
    FILLED,
    REJECTED,
    REPLACED,
    CancelArrives,
    ExecutionReport,
    Level1,
    Message,
    NewOrderArrives,
    OurOrder,
    Print,
    RefillDue,
    ReplaceArrives,
)
from .opening import OpeningAuction
from .venues import DARK, MAKER, TAKER, VenueSpec


class MarketSimulator(BackgroundFlow, DarkPools, Impact, OpeningAuction, ClosingAuction, VolatilityHalts):
    """One instrument's market: the gateway and the clock here; background flow, dark pools,
    impact, the opening and closing auctions and volatility halts in their own modules."""

    # A checkpoint from before venue incidents existed unpickles with none
    incidents: tuple[VenueIncident, ...] = ()
    venue_status = MappingProxyType({})
    _latency_factor = MappingProxyType({})
    _status_events: tuple = ()
    _status_index = 0
    _status_changes: tuple[VenueStatusChanged, ...] = ()
    _log_volatility = 0.0  # and with the news's volatility at its median

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
        incidents: Sequence[VenueIncident] = (),
        news_jumps: Sequence[NewsJump] = (),
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
        self._log_volatility = 0.0  # the news's log-volatility (stochastic volatility): the day opens at its median
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
        self._queue: list[tuple[int, int, Message]] = []  # (time, seq, message): in-flight events
        self._queue_seq = 0
        self._ours: dict[int, OurOrder] = {}
        self._last_arrival: dict[str, int] = {}
        self._last_report: dict[str, int] = {}
        self._reports: list[tuple[int, int, ExecutionReport]] = []
        self.incidents = tuple(incidents)
        self.venue_status = {code: UP for code in self.specs}
        self._latency_factor = {}
        # (second, venue, status, latency factor, detail): each incident's start and end, in time order
        self._status_events = tuple(
            sorted(
                event
                for i in self.incidents
                for event in ((i.start_s, i.venue, i.status, i.latency_factor, i.detail), (i.end_s, i.venue, UP, 1, ""))
            )
        )
        self._opening_setup()
        self._halts_setup(news_jumps)
        self._auction_setup()
        self._warm_up(random.Random(warm_up_seed))

    def follow_news(self, path_seed: int, path_sign: int) -> None:
        """From now on the fundamental follows another seeded news path (``path_sign`` −1
        mirrors it): a further future of the same market, for comparisons over many paths."""
        self.path_seed, self.path_sign = path_seed, path_sign
        self._news_minute = None

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
        with ``price_half_ticks`` as its limit; one for the open is in the pre-open at once."""
        order_id = self.next_order_id()
        order = OurOrder(order_id, venue, side, quantity, price_half_ticks, owner, tif, post_only, min_quantity)
        self._ours[order_id] = order
        if tif == AT_OPEN:
            self._opening_arrive(rng, order)
        else:
            self._send(rng, venue, NewOrderArrives(order_id))
        return order_id

    def send_cancel(self, rng: random.Random, order_id: int, *, venue: str) -> None:
        """Cancel on the order's venue session: the sender names the venue, as on a real
        connection, so the simulator keeps nothing of an order once it is done."""
        self._check_venue(order_id, venue)
        self._send(rng, venue, CancelArrives(order_id, venue))

    def send_replace(
        self, rng: random.Random, order_id: int, *, venue: str, quantity: int, price_half_ticks: int
    ) -> None:
        """Cancel/replace with FIX semantics: ``quantity`` is the new total order quantity,
        executions included, so a replace that crosses a fill on the wire never adds size."""
        self._check_venue(order_id, venue)
        self._send(rng, venue, ReplaceArrives(order_id, venue, quantity, price_half_ticks))

    def _check_venue(self, order_id: int, venue: str) -> None:
        order = self._ours.get(order_id)
        if order is not None and order.venue != venue:
            raise ValueError(f"order {order_id} is at {order.venue}, not {venue}")

    def take_reports(self, until_ns: int) -> list[ExecutionReport]:
        """Reports that have reached us by ``until_ns``, in arrival order; once the day has
        closed, all of them (its last ones are sent at the close, and nothing follows)."""
        taken = []
        if self._day_closed and until_ns >= self.close_ns:
            until_ns = 1 << 62
        while self._reports and self._reports[0][0] <= until_ns:
            taken.append(heapq.heappop(self._reports)[2])
        return taken

    # --- the clock ----------------------------------------------------------------------
    def run_until(self, end_ns: int, rng: random.Random) -> list[Print]:
        """Advance to ``end_ns``: deliver in-flight messages and background arrivals in
        time order; return the tape's prints. The day's first call runs the opening cross,
        reaching the close the closing cross."""
        prints: list[Print] = []
        if not self._day_opened:
            self._open_day(rng, prints)
        auctioned = len(prints)  # the open's prints are not continuous volume
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
                    self._cross_seconds(at, prints)
                if at > self.clock_ns:
                    self.clock_ns = at
                self._deliver(rng, heapq.heappop(queue)[2], prints)
            else:
                at = background
                if at > end_ns:
                    break
                if at >= self._next_second_ns:
                    self._cross_seconds(at, prints)
                self.clock_ns = at
                events += 1
                background = self._background_event(rng, prints)
        self._next_background_ns = background
        self.events_processed += events
        if end_ns >= self._next_second_ns:
            self._cross_seconds(end_ns, prints)
        if end_ns > self.clock_ns:
            self.clock_ns = end_ns
        self.day_volume += sum(p.quantity for p in prints[auctioned:])
        if end_ns >= self.close_ns and not self._day_closed:
            self._close_day(rng, prints)
        return prints

    def _cross_seconds(self, to_ns: int, prints: list[Print]) -> None:
        """Once per whole second: the news shock, price bands and pauses, the decay of our
        impact, the U-curve rate.

        Doing this at second boundaries only (not on every event) makes the state at any
        instant independent of how the caller chunks ``run_until``.
        """
        first, last = self._next_second_ns // NS_PER_S, to_ns // NS_PER_S
        if self._status_index < len(self._status_events) and self._status_events[self._status_index][0] <= last:
            self._venue_statuses_change(last)
        flow = self.flow
        for second in range(first, last + 1):
            self.fundamental += self.path_sign * round(self._news_shock(second))
        self.fundamental = max(self.fundamental, SUBTICKS)
        self._halt_seconds(first, last, prints)
        if last >= self._auction_next_s:
            self._auction_seconds(last)
        if self.transient or self._our_flow:
            decay = math.exp(-(last - first + 1) / flow.impact_decay_s)
            self.transient *= decay
            self._our_flow *= decay
        day = self.close_ns - self.open_ns
        self._base_rate = flow.events_per_s * intraday_intensity((last * NS_PER_S - self.open_ns) / day)
        self._next_second_ns = (last + 1) * NS_PER_S

    def _venue_statuses_change(self, last_second: int) -> None:
        """Apply the incidents' starts and ends up to ``last_second`` and publish each change."""
        events = self._status_events
        while self._status_index < len(events) and events[self._status_index][0] <= last_second:
            second, venue, status, factor, detail = events[self._status_index]
            self._status_index += 1
            self.clock_ns = max(self.clock_ns, second * NS_PER_S)
            self.venue_status[venue] = status
            self._latency_factor[venue] = factor
            if status == DOWN:
                self._venue_down(venue)
            self._status_changes = (*self._status_changes, VenueStatusChanged(self.clock_ns, venue, status, detail))
        up = [code for code in self.books if self.venue_status[code] != DOWN]
        self._lit_books = [self.books[code] for code in up]
        self._lit_entries = [(code, self.books[code], self.venues[code].flow_share) for code in up]
        self._lit_cumulative = list(itertools.accumulate(self.venues[code].flow_share for code in up))
        self._dark_codes = [code for code in self.pools if self.venue_status[code] != DOWN]
        self._dark_share = sum(self.pools[code].spec.dark.arrivals_share for code in self._dark_codes)
        self._arrival_weight = 1.0 + self._dark_share

    def _venue_down(self, venue: str) -> None:
        """A venue that goes down cancels what we had resting there."""
        rng = random.Random(f"{self.path_seed}:{venue}:{self.clock_ns}")  # report latency only
        if venue == self.listing:  # and the auction orders collected there
            self._auction_orders = []
        for order in [o for o in self._ours.values() if o.venue == venue]:
            if venue in self.pools:
                if order in self.pools[venue].ours:
                    self.pools[venue].ours.remove(order)
            else:
                self.books[venue].cancel(order.order_id)
            del self._ours[order.order_id]
            self._report(rng, order, CANCELED, quantity=order.quantity, reason="venue down: order cancelled")

    def take_status_changes(self) -> list[VenueStatusChanged]:
        """Venue status messages published since the last call."""
        changes, self._status_changes = list(self._status_changes), ()
        return changes

    def _news_shock(self, second: int) -> float:
        """The fundamental's move over one second, in subticks: a function of the path seed
        and the minutes so far alone (not of anyone's trading). Drawn a minute at a time, as
        seeding a generator costs more than the draws; each minute first moves the
        log-volatility one AR(1) step, shared by antithetic twins (only the shocks mirror)."""
        minute, index = divmod(second, 60)
        if minute != self._news_minute:
            news = random.Random(self.path_seed * 100_003 + minute)
            flow = self.flow
            persistence = math.exp(-1.0 / flow.volatility_memory_min)
            spread = flow.volatility_of_volatility
            self._log_volatility = persistence * self._log_volatility + spread * math.sqrt(
                1.0 - persistence**2
            ) * news.gauss(0.0, 1.0)
            scale = math.exp(self._log_volatility - spread**2)  # keeps the mean variance
            sigma_per_s = flow.volatility_bps_per_min / 1e4 * self.reference_ticks * SUBTICKS / math.sqrt(60) * scale
            self._news = [news.gauss(0.0, sigma_per_s) for _ in range(60)]
            self._news_minute = minute
        return self._news[index]

    # --- in-flight messages ---------------------------------------------------------
    def _send(self, rng: random.Random, venue: str, message: Message) -> None:
        # One order-entry session per venue delivers in order: a cancel never overtakes its new.
        latency = self.specs[venue].entry_latency.sample(rng) * self._latency_factor.get(venue, 1)
        arrives = max(self.clock_ns + latency, self._last_arrival.get(venue, 0) + 1)
        self._last_arrival[venue] = arrives
        self._schedule(arrives, message)

    def _schedule(self, at_ns: int, message: Message) -> None:
        self._queue_seq += 1
        heapq.heappush(self._queue, (at_ns, self._queue_seq, message))

    def _report(self, rng: random.Random, order: OurOrder, kind: str, **fields) -> None:
        # Reports on one venue's session arrive in order: an order's last report is its last.
        venue = order.venue
        latency = self.specs[venue].report_latency.sample(rng) * self._latency_factor.get(venue, 1)
        arrives = max(self.clock_ns + latency, self._last_report.get(venue, 0) + 1)
        self._last_report[venue] = arrives
        report = ExecutionReport(arrives, self.clock_ns, order.order_id, venue, kind, **fields)
        self._queue_seq += 1
        heapq.heappush(self._reports, (report.time_ns, self._queue_seq, report))

    def _deliver(self, rng: random.Random, message: Message, prints: list[Print]) -> None:
        if type(message) is RefillDue:
            self._refill(rng, message.venue, message.side, prints)
            return
        order = self._ours.get(message.order_id)
        if order is None:  # already done: the cancel or replace crossed its last fill on the wire
            if type(message) is not NewOrderArrives:
                done = OurOrder(message.order_id, message.venue, 0, 0, None, "", DAY, False, 0)
                self._report(rng, done, REJECTED, reason="too late: the order is already done")
            return
        if type(message) is NewOrderArrives:
            self._arrive(rng, order, prints)
        elif type(message) is CancelArrives:
            self._cancel(rng, order)
        else:
            self._replace(rng, order, message.quantity, message.price_half_ticks, prints)

    def _reject(self, rng: random.Random, order: OurOrder, reason: str) -> None:
        del self._ours[order.order_id]
        self._report(rng, order, REJECTED, reason=reason)

    def _arrive(self, rng: random.Random, order: OurOrder, prints: list[Print]) -> None:
        status = self.venue_status.get(order.venue, UP)
        if status in (DOWN, REJECTING):
            self._reject(rng, order, "venue down" if status == DOWN else "venue rejecting new orders")
            return
        if order.quantity <= 0:
            self._reject(rng, order, f"quantity must be positive, got {order.quantity}")
            return
        if order.tif == AT_CLOSE:
            self._auction_arrive(rng, order)
            return
        if self.halt is not None:
            self._reject(rng, order, PAUSED)
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
        if order.tif == AT_CLOSE:
            self._auction_cancel(rng, order)
            return
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
        if order.venue in self.pools or order.tif == AT_CLOSE:
            where = "for a closing auction order" if order.tif == AT_CLOSE else "in a dark pool"
            self._report(rng, order, REJECTED, reason=f"replace not supported {where}; cancel instead")
            return
        if price % 2:
            self._report(rng, order, REJECTED, reason="price off tick")
            return
        if self.halt is not None:
            self._report(rng, order, REJECTED, reason=PAUSED)
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
            self._schedule(now + delay_ns + 1, RefillDue(venue, hit_side))

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
