"""Execution over the simulated market, one step at a time. Pure Python, deterministic.

A step runs the market to its end in short decision intervals. At each decision
point the engine first reads the execution reports that have reached it (fills,
acks, cancels, rejects), updates every parent's progress and the venue scorecard,
then lets each parent's schedule say where it should be and adjusts its children:

- **passive**: a limit order at our side's touch (never through the limit), spread
  over lit venues by the Cont–Kukanov split, replaced when the touch moves away
  (a new price loses queue priority, so it is only done when needed);
- **dark**: with liquidity-seeking routing, a midpoint peg resting in the dark pools,
  sized by their fill probabilities, allowed to run a little ahead of schedule;
- **aggressive**: when the parent is behind by more than its aggressiveness tolerates,
  IOCs that cross the spread (parallel sweep, or one venue at a time).

At every moment filled + open children ≤ the parent's quantity, and every child's
price respects the parent's limit. The state (``ExecutionState``) pickles with the
simulator in the session checkpoint.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .algorithms.schedules import (
    ImmediateSchedule,
    PovSchedule,
    ScheduleSpec,
    ShortfallSchedule,
    TwapSchedule,
    VolumeProfile,
    VwapSchedule,
)
from .market.book import BUY, DAY, IOC
from .market.simulator import (
    ACCEPTED,
    CANCELED,
    FILLED,
    NS_PER_S,
    REJECTED,
    REPLACED,
    ExecutionReport,
    MarketSimulator,
    Print,
)
from .sor import (
    DARK_ORDER,
    IOC_ORDER,
    LIMIT_ORDER,
    DarkPoolInfo,
    Placement,
    QueueOption,
    Scorecard,
    VenueQuote,
    optimal_split,
    plan_dark,
    plan_sequential,
    plan_sweep,
)

DECISION_NS = NS_PER_S  # how often parents re-evaluate within a step
LOOKAHEAD_NS = 30 * NS_PER_S  # passive and dark orders work for what is due this far ahead
MARKOUT_NS = 5 * NS_PER_S  # horizon of the mark-out the scorecard ranks venues by
SWEEP_TICKS = 3  # aggressive orders reach at most this far through the touch
RATE_MEMORY_S = 60.0  # smoothing of per-venue traded volume
DARK_PING_EVERY_NS = 2 * NS_PER_S  # a liquidity seeker pings the pools before each lit sweep, at most this often
CATCH_UP_S = 30  # at aggressiveness 0 a parent may fall this many seconds of schedule behind before crossing
FINISH_NS = 60 * NS_PER_S  # in the last seconds of its horizon a parent takes what is left
ROUND_LOT = 100  # passive and dark slices are at least this, unless less is left to do
# dark fills may run ahead of schedule by this share of the parent, or this much time, whichever is less
DARK_AHEAD_SHARE = 0.10
DARK_AHEAD_S = 60

IMMEDIATE = "IMMEDIATE"  # everything now: the naive market order, for comparison

PASSIVE = "PASSIVE"
DARK = "DARK"
AGGRESSIVE = "AGGRESSIVE"

PARALLEL = "PARALLEL"
SEQUENTIAL = "SEQUENTIAL"
LIQUIDITY_SEEKING = "LIQUIDITY_SEEKING"

# Child statuses, as we know them from reports
SENT = "SENT"
LIVE = "LIVE"
DONE_FILLED = "FILLED"
DONE_CANCELED = "CANCELLED"
DONE_REJECTED = "REJECTED"


@dataclass(frozen=True, slots=True)
class ParentPlan:
    """A parent as the database sees it at the start of a step."""

    parent_id: int
    side: int
    quantity: int  # to execute in the market (internal crosses excluded)
    filled: int  # of that, filled as recorded so far
    limit: int | None  # ticks
    start_ns: int
    end_ns: int
    lot_size: int
    strategy: str  # TWAP, VWAP, POV, IS
    urgency: float = 2.0  # IS: κT
    pov_rate: float = 0.10
    max_participation: float = 0.25
    aggressiveness: float = 0.5
    routing: str = LIQUIDITY_SEEKING
    sweep_ticks: int = SWEEP_TICKS  # how far through the touch aggressive orders may reach
    active: bool = True  # False: paused, cancel requested, or kill switch: cancel children, send nothing

    @property
    def owner(self) -> str:
        return f"parent:{self.parent_id}"


@dataclass(slots=True)
class Child:
    order_id: int
    parent_id: int
    venue: str
    tactic: str
    order_type: str
    side: int
    quantity: int
    price_half_ticks: int | None
    sent_ns: int
    step_sent: int
    open: int  # what may still fill, as far as we know
    arrival_mid_half_ticks: int | None = None  # NBBO mid when it was sent: its spread-capture benchmark
    filled: int = 0
    status: str = SENT
    reason: str = ""
    cancel_sent: bool = False
    done_ns: int | None = None  # venue time of its last report: the end of its life for interval VWAP

    @property
    def done(self) -> bool:
        return self.status in (DONE_FILLED, DONE_CANCELED, DONE_REJECTED)


@dataclass(slots=True)
class ParentState:
    plan: ParentPlan
    schedule: object
    offset: int  # filled before the current schedule was planned (resume, top-up)
    filled: int = 0
    others_volume: int = 0  # market volume since the schedule started that was not ours
    children: dict[int, Child] = field(default_factory=dict)
    dark_pinged_ns: int = -1  # when the pools were last pinged before crossing the spread

    def open_quantity(self, tactic: str | None = None) -> int:
        return sum(c.open for c in self.children.values() if tactic is None or c.tactic == tactic)


@dataclass(slots=True)
class ExecutionState:
    """Everything the engine remembers between steps."""

    profile: VolumeProfile | None  # VWAP's intraday profile; the service supplies it when a VWAP parent needs it
    tick_size: Decimal  # money per tick, to turn per-share fees into ticks
    tick_value_bps: float  # one tick in basis points of the reference price
    sigma_ticks_per_sqrt_s: float
    permanent_impact_ticks_per_share: float  # the IS model's linear γ
    parents: dict[int, ParentState] = field(default_factory=dict)
    venue_rates: dict[str, float] = field(default_factory=dict)  # shares/s traded per venue, smoothed
    scorecard: Scorecard = field(default_factory=Scorecard)
    markouts: list[tuple[int, str, int, int]] = field(default_factory=list)  # due, venue, side, price

    def children(self) -> dict[int, Child]:
        return {oid: c for p in self.parents.values() for oid, c in p.children.items()}


@dataclass(frozen=True, slots=True)
class FillReport:
    parent_id: int
    order_id: int  # the child's venue order id
    seq: int
    venue: str
    side: int
    quantity: int
    price_half_ticks: int
    liquidity: str
    fee: Decimal
    time_ns: int


@dataclass(frozen=True, slots=True)
class ChildEvent:
    """One line of a child's life for the audit trail."""

    kind: str  # child.placed, child.replaced, child.cancelled, child.rejected, child.filled
    parent_id: int
    order_id: int
    time_ns: int
    detail: dict


@dataclass(frozen=True, slots=True)
class Bar:
    """What the consolidated tape and NBBO did over one step."""

    start_ns: int
    end_ns: int
    volume: int
    notional_half_ticks: int
    bid: int | None
    ask: int | None


@dataclass(frozen=True, slots=True)
class ParentProgress:
    filled: int
    open_children: int
    complete: bool
    due: int  # what the schedule wants filled by the end of the step


@dataclass(frozen=True, slots=True)
class StepOutcome:
    children: list[Child]  # every child created or changed in the step, as it stands at the end
    fills: list[FillReport]
    events: list[ChildEvent]
    bar: Bar  # the whole step
    seconds: list[Bar]  # the same step second by second: the tape TCA measures against
    progress: dict[int, ParentProgress]


class _Step:
    """One step's run: the simulator, the state and what the step records."""

    def __init__(self, sim: MarketSimulator, state: ExecutionState, rng: random.Random, step_no: int) -> None:
        self.sim, self.state, self.rng, self.step_no = sim, state, rng, step_no
        self.touched: dict[int, Child] = {}
        self.fills: list[FillReport] = []
        self.events: list[ChildEvent] = []

    # --- reports ------------------------------------------------------------------
    def apply_reports(self, until_ns: int) -> None:
        children = self.state.children()
        for report in self.sim.take_reports(until_ns):
            child = children.get(report.order_id)
            if child is not None:
                self._apply(child, report)

    def _apply(self, child: Child, report: ExecutionReport) -> None:
        if child.done:  # e.g. "too late to cancel" after the last fill: nothing is left to change
            return
        parent = self.state.parents[child.parent_id]
        scorecard = self.state.scorecard
        self.touched[child.order_id] = child
        if report.kind == ACCEPTED:
            child.status = LIVE
            scorecard.acknowledged(child.venue, report.time_ns - child.sent_ns)
        elif report.kind == FILLED:
            spec = self.sim.specs[child.venue]
            fee = spec.fee(report.quantity, report.liquidity)
            child.filled += report.quantity
            child.open -= report.quantity
            parent.filled += report.quantity
            scorecard.filled(child.venue, report.quantity, fee)
            self.fills.append(
                FillReport(
                    child.parent_id,
                    child.order_id,
                    len(self.fills),
                    child.venue,
                    child.side,
                    report.quantity,
                    report.price_half_ticks,
                    report.liquidity,
                    fee,
                    report.venue_time_ns,
                )
            )
            self.state.markouts.append(
                (report.venue_time_ns + MARKOUT_NS, child.venue, child.side, report.price_half_ticks)
            )
            self._event(
                "child.filled",
                child,
                report.venue_time_ns,
                quantity=report.quantity,
                price_half_ticks=report.price_half_ticks,
                liquidity=report.liquidity,
                leaves=report.leaves,
            )
            if report.leaves == 0:
                self._finish(child, DONE_FILLED, report.venue_time_ns)
        elif report.kind == CANCELED:
            child.open = 0
            self._event("child.cancelled", child, report.venue_time_ns, quantity=report.quantity, reason=report.reason)
            self._finish(child, DONE_CANCELED, report.venue_time_ns, report.reason)
        elif report.kind == REJECTED:
            if child.status == LIVE:  # a refused replace: the order stands as it was
                self._event("child.replace_rejected", child, report.venue_time_ns, reason=report.reason)
                return
            child.open = 0
            self._event("child.rejected", child, report.venue_time_ns, reason=report.reason)
            self._finish(child, DONE_REJECTED, report.venue_time_ns, report.reason)
        elif report.kind == REPLACED:
            child.price_half_ticks = report.price_half_ticks
            child.open = report.leaves
            child.quantity = child.filled + report.leaves
            self._event(
                "child.replaced",
                child,
                report.venue_time_ns,
                quantity=report.leaves,
                price_half_ticks=report.price_half_ticks,
            )

    def _finish(self, child: Child, status: str, time_ns: int, reason: str = "") -> None:
        child.status, child.reason, child.open, child.done_ns = status, reason, 0, time_ns
        self.state.scorecard.order_done(child.venue, child.order_type, child.filled > 0)
        del self.state.parents[child.parent_id].children[child.order_id]

    def _event(self, kind: str, child: Child, time_ns: int, **detail) -> None:
        detail = {"venue": child.venue, "tactic": child.tactic, "order_type": child.order_type, **detail}
        self.events.append(ChildEvent(kind, child.parent_id, child.order_id, time_ns, detail))

    def resolve_markouts(self, now_ns: int) -> None:
        mid = self.sim.mid_ticks_x2()
        if mid is None:
            return
        due = [m for m in self.state.markouts if m[0] <= now_ns]
        if not due:
            return
        self.state.markouts = [m for m in self.state.markouts if m[0] > now_ns]
        for _, venue, side, price in due:
            self.state.scorecard.marked_out(venue, side * (mid - price) / price * 1e4)

    # --- orders -------------------------------------------------------------------
    def send(
        self,
        parent: ParentState,
        *,
        venue: str,
        tactic: str,
        quantity: int,
        price_half_ticks: int | None,
        tif: str = DAY,
        order_type: str = LIMIT_ORDER,
        min_quantity: int = 0,
    ) -> None:
        plan = parent.plan
        assert quantity > 0 and quantity % plan.lot_size == 0, "children are whole lots"
        assert parent.filled + parent.open_quantity() + quantity <= plan.quantity, "over-fill"
        if plan.limit is not None:
            assert price_half_ticks is not None and (price_half_ticks - 2 * plan.limit) * plan.side <= 0, "limit"
        order_id = self.sim.send_order(
            self.rng,
            venue=venue,
            side=plan.side,
            quantity=quantity,
            price_half_ticks=price_half_ticks,
            owner=plan.owner,
            tif=tif,
            min_quantity=min_quantity,
        )
        now = self.sim.clock_ns
        child = Child(
            order_id,
            plan.parent_id,
            venue,
            tactic,
            order_type,
            plan.side,
            quantity,
            price_half_ticks,
            now,
            self.step_no,
            quantity,
            self.sim.mid_ticks_x2(),
        )
        parent.children[order_id] = child
        self.touched[order_id] = child
        self.state.scorecard.order_sent(venue, quantity)
        self._event("child.placed", child, now, quantity=quantity, price_half_ticks=price_half_ticks, tif=tif)

    def cancel(self, child: Child) -> None:
        if not child.cancel_sent and not child.done:
            child.cancel_sent = True
            self.sim.send_cancel(self.rng, child.order_id)

    def replace(self, child: Child, *, open_quantity: int, price_half_ticks: int) -> None:
        """Ask for ``open_quantity`` still to work at a new price or size (never more than now)."""
        if not child.cancel_sent and child.status == LIVE:
            self.sim.send_replace(
                self.rng, child.order_id, quantity=child.filled + open_quantity, price_half_ticks=price_half_ticks
            )

    # --- decisions ------------------------------------------------------------------
    def decide(self, parent: ParentState, now_ns: int) -> None:
        plan = parent.plan
        live = [c for c in parent.children.values() if not c.cancel_sent]
        if not plan.active or now_ns >= plan.end_ns or parent.filled >= plan.quantity:
            for child in live:
                self.cancel(child)
            return
        lot = plan.lot_size
        target_now = parent.offset + parent.schedule.target(now_ns, parent.others_volume)
        target_ahead = parent.offset + parent.schedule.target(now_ns + LOOKAHEAD_NS, parent.others_volume)
        bid, ask = self.sim.nbbo()
        if bid is None or ask is None:
            return
        near, far = (bid, ask) if plan.side == BUY else (ask, bid)

        # Ahead of schedule: pull passive orders first, then dark beyond its allowance.
        rate_per_s = plan.quantity / max(1, (plan.end_ns - plan.start_ns) / NS_PER_S)
        dark_allowance = max(lot, int(min(plan.quantity * DARK_AHEAD_SHARE, rate_per_s * DARK_AHEAD_S)) // lot * lot)
        committed = parent.filled + parent.open_quantity()
        if committed > target_ahead:
            for child in sorted(live, key=lambda c: c.tactic != PASSIVE):
                if committed <= target_ahead + (dark_allowance if child.tactic == DARK else 0):
                    break
                self.cancel(child)
                committed -= child.open

        room = plan.quantity - parent.filled - sum(c.open for c in parent.children.values())
        behind = target_now - parent.filled
        tolerance = max(lot, int((1 - plan.aggressiveness) * rate_per_s * CATCH_UP_S) // lot * lot)
        if plan.end_ns - now_ns <= FINISH_NS and plan.strategy != "POV":
            # The last seconds: whatever is left is taken, so the parent completes on time.
            behind, tolerance = plan.quantity - parent.filled, 0
            for child in live:
                if child.tactic != AGGRESSIVE:
                    self.cancel(child)
            room = plan.quantity - parent.filled - sum(c.open for c in parent.children.values())
        in_flight = parent.open_quantity(AGGRESSIVE)
        clip = _clip(behind - in_flight, lot, room, plan.quantity - parent.filled)
        if behind - in_flight > tolerance and clip:
            self._take(parent, clip, far)
            room = plan.quantity - parent.filled - sum(c.open for c in parent.children.values())

        if plan.end_ns - now_ns <= FINISH_NS and plan.strategy != "POV":
            return
        if plan.routing == LIQUIDITY_SEEKING:
            # Dark liquidity works what is already due: those shares would otherwise cross
            # the spread, and a midpoint fill beats that; passive lit works the rest.
            due = target_now - parent.filled - parent.open_quantity(AGGRESSIVE) - parent.open_quantity(DARK)
            self._work_dark(parent, due, room)
            room = plan.quantity - parent.filled - sum(c.open for c in parent.children.values())
        self._work_passive(parent, target_ahead, near, room)

    def _take(self, parent: ParentState, quantity: int, far: int) -> None:
        plan = parent.plan
        if quantity <= 0:
            return
        if plan.routing == LIQUIDITY_SEEKING and self.sim.clock_ns - parent.dark_pinged_ns > DARK_PING_EVERY_NS:
            # Dark first: midpoint IOCs find the contra resting in the pools; what they do not
            # fill crosses the lit spread at the next decision.
            parent.dark_pinged_ns = self.sim.clock_ns
            if self._ping_dark(parent, quantity):
                return
        reach = far + plan.sweep_ticks * plan.side
        limit = (
            reach if plan.limit is None else (min(reach, plan.limit) if plan.side == BUY else max(reach, plan.limit))
        )
        quotes = self._quotes(plan.side, limit)
        if plan.routing == SEQUENTIAL:
            fee_bps = self._fee_bps(taker=True)
            ranking = self.state.scorecard.rank(list(self.sim.books), IOC_ORDER, fee_bps)
            placement = plan_sequential(side=plan.side, quantity=quantity, limit=limit, quotes=quotes, ranking=ranking)
            placements = [] if placement is None else [placement]
        else:  # one IOC per venue, reaching as deep as the sweep planned there
            merged: dict[str, Placement] = {}
            for p in plan_sweep(side=plan.side, quantity=quantity, limit=limit, quotes=quotes):
                seen = merged.get(p.venue)
                deepest = p.limit if seen is None or (p.limit - seen.limit) * plan.side > 0 else seen.limit
                merged[p.venue] = Placement(p.venue, p.quantity + (seen.quantity if seen else 0), deepest)
            placements = list(merged.values())
        for p in placements:
            size = p.quantity // plan.lot_size * plan.lot_size
            if size:
                self.send(
                    parent,
                    venue=p.venue,
                    tactic=AGGRESSIVE,
                    quantity=size,
                    price_half_ticks=2 * p.limit,
                    tif=IOC,
                    order_type=IOC_ORDER,
                )

    def _work_passive(self, parent: ParentState, target_ahead: int, near: int, room: int) -> None:
        plan = parent.plan
        lot = plan.lot_size
        price = near if plan.limit is None else (min(near, plan.limit) if plan.side == BUY else max(near, plan.limit))
        passive = [c for c in parent.children.values() if c.tactic == PASSIVE and not c.cancel_sent]
        for child in passive:  # the touch moved away from us: follow it (a new price loses priority)
            if child.status == LIVE and (2 * price - child.price_half_ticks) * plan.side > 0:
                self.replace(child, open_quantity=child.open, price_half_ticks=2 * price)
        wanted = target_ahead - parent.filled - parent.open_quantity(AGGRESSIVE) - parent.open_quantity(DARK)
        resting = sum(c.open for c in passive)
        if resting - wanted >= lot:  # too much resting: shrink the newest, keeping priority
            for child in sorted(passive, key=lambda c: -c.order_id):
                excess = resting - max(wanted, 0)
                if excess < lot:
                    break
                keep = (child.open - excess) // lot * lot
                if keep <= 0:
                    self.cancel(child)
                    resting -= child.open
                else:
                    self.replace(child, open_quantity=keep, price_half_ticks=child.price_half_ticks)
                    resting -= child.open - keep
            return
        extra = _clip(wanted - resting, lot, room, plan.quantity - parent.filled)
        if not extra:
            return
        split = self._split(parent, extra, price)
        for venue, size in split:
            self.send(parent, venue=venue, tactic=PASSIVE, quantity=size, price_half_ticks=2 * price)

    def _split(self, parent: ParentState, quantity: int, price: int) -> list[tuple[str, int]]:
        """Where to post: Cont–Kukanov over the lit venues' queues at our price."""
        plan = parent.plan
        lot = plan.lot_size
        tick = self.state.tick_size
        options = []
        for code, book in self.sim.books.items():
            spec = self.sim.specs[code]
            # about half of a venue's volume trades against our side of the book
            outflow = self.state.venue_rates.get(code, 0.0) * LOOKAHEAD_NS / NS_PER_S / 2
            options.append(
                QueueOption(code, book.level_quantity(plan.side, price), float(-spec.maker_fee / tick), outflow)
            )
        half_spread = 0.5
        taker_fee = float(min(self.sim.specs[c].taker_fee for c in self.sim.books) / tick)
        split = optimal_split(
            quantity=quantity,
            lot_size=_round_lot(lot) if quantity >= _round_lot(lot) else lot,
            half_spread=half_spread,
            taker_fee=taker_fee,
            options=options,
            under_penalty=half_spread + taker_fee + 0.5 + plan.aggressiveness,
            over_penalty=half_spread + 0.5,
            rng=self.rng,
        )
        result, total = [], 0
        for venue, size in sorted(split.limits.items(), key=lambda kv: (-kv[1], kv[0])):
            size = min(size, quantity - total) // lot * lot
            if size >= lot:
                result.append((venue, size))
                total += size
        if not result:  # the model prefers taking; post at the best-ranked venue instead
            ranking = self.state.scorecard.rank(list(self.sim.books), LIMIT_ORDER, self._fee_bps(taker=False))
            return [(ranking[0], quantity)]
        if total < quantity:  # the model expects less than asked to fill; post the rest where it is best
            venue, size = result[0]
            result[0] = (venue, size + quantity - total)
        return result

    def _ping_dark(self, parent: ParentState, quantity: int) -> bool:
        """Midpoint IOCs to the pools: they take the contra resting there, nothing rests."""
        return self._send_dark(parent, quantity, tactic=AGGRESSIVE, tif=IOC)

    def _work_dark(self, parent: ParentState, due: int, room: int) -> None:
        """Midpoint pegs resting in the pools for ``due`` shares (within ``room``)."""
        self._send_dark(parent, min(room, due), tactic=DARK, tif=DAY)

    def _send_dark(self, parent: ParentState, quantity: int, *, tactic: str, tif: str) -> bool:
        plan = parent.plan
        quantity = quantity // plan.lot_size * plan.lot_size
        pools = [DarkPoolInfo(code, pool.spec.dark.min_fill) for code, pool in self.sim.pools.items()]
        if not pools or quantity < min(p.min_fill for p in pools):
            return False
        limit = None if plan.limit is None else 2 * plan.limit
        sent = False
        for venue, size in plan_dark(
            quantity=quantity, lot_size=plan.lot_size, pools=pools, scorecard=self.state.scorecard
        ):
            size = size // plan.lot_size * plan.lot_size
            if size:
                self.send(
                    parent,
                    venue=venue,
                    tactic=tactic,
                    quantity=size,
                    price_half_ticks=limit,
                    tif=tif,
                    order_type=DARK_ORDER,
                    min_quantity=self.sim.pools[venue].spec.dark.min_fill,
                )
                sent = True
        return sent

    def _quotes(self, side: int, limit: int) -> list[VenueQuote]:
        """Every displayed level within ``limit`` on every lit venue."""
        quotes = []
        for code, book in self.sim.books.items():
            fee = self.sim.specs[code].taker_fee
            for price, quantity in book.depth(-side, levels=50):
                if (price - limit) * side > 0:
                    break
                quotes.append(VenueQuote(code, price, quantity, fee))
        return quotes

    def _fee_bps(self, *, taker: bool) -> dict[str, float]:
        reference = self.state.tick_size * self.sim.reference_ticks
        return {
            code: float((spec.taker_fee if taker else spec.maker_fee) / reference) * 1e4
            for code, spec in self.sim.specs.items()
        }


def schedule_for(plan: ParentPlan, state: ExecutionState, *, start_ns: int, quantity: int):
    spec = ScheduleSpec(
        quantity=quantity,
        start_ns=start_ns,
        end_ns=plan.end_ns,
        lot_size=plan.lot_size,
        max_participation=plan.max_participation,
        aggressiveness=plan.aggressiveness,
    )
    if plan.strategy == IMMEDIATE:
        return ImmediateSchedule(spec)
    if plan.strategy == "VWAP":
        assert state.profile is not None, "a VWAP parent needs the volume profile"
        return VwapSchedule(spec, state.profile)
    if plan.strategy == "POV":
        return PovSchedule(spec, plan.pov_rate)
    if plan.strategy == "IS":
        return ShortfallSchedule.plan(
            spec,
            urgency=plan.urgency,
            sigma_per_s=state.sigma_ticks_per_sqrt_s,
            eta=0.02,  # ticks per (share/s): ~1 tick per share when trading 50 shares/s faster
            gamma=state.permanent_impact_ticks_per_share,
            epsilon=0.5,  # half the spread, in ticks
            periods=max(10, min(200, (plan.end_ns - start_ns) // (30 * NS_PER_S))),
        )
    return TwapSchedule(spec)


def run_step(
    sim: MarketSimulator,
    state: ExecutionState,
    parents: Sequence[ParentPlan],
    *,
    end_ns: int,
    rng: random.Random,
    step_no: int = 0,
) -> StepOutcome:
    step = _Step(sim, state, rng, step_no)
    start_ns = sim.clock_ns
    for plan in parents:
        _adopt(state, plan, start_ns)
    ours = {p.plan.owner for p in state.parents.values()}
    seconds: list[Bar] = []
    now = start_ns
    while True:
        step.apply_reports(now)
        step.resolve_markouts(now)
        for parent_id in sorted(state.parents):
            step.decide(state.parents[parent_id], now)
        if now >= end_ns:
            break
        nxt = min(now + DECISION_NS, end_ns)
        prints = sim.run_until(nxt, rng)
        others = _others_volume(prints, ours)
        _update_venue_rates(state, prints, (nxt - now) / NS_PER_S)
        for parent in state.parents.values():
            parent.others_volume += others
        bid, ask = sim.nbbo()
        seconds.append(
            Bar(
                now,
                nxt,
                sum(p.quantity for p in prints),
                sum(p.quantity * p.price_half_ticks for p in prints),
                bid,
                ask,
            )
        )
        now = nxt
    for parent in state.parents.values():
        assert parent.filled <= parent.plan.quantity, f"parent {parent.plan.parent_id} over-filled"
    bid, ask = sim.nbbo()
    progress = {
        pid: ParentProgress(
            p.filled,
            len(p.children),
            p.filled >= p.plan.quantity,
            min(p.plan.quantity, p.offset + p.schedule.target(end_ns, p.others_volume)),
        )
        for pid, p in state.parents.items()
    }
    for pid, p in list(state.parents.items()):
        if not p.children and (p.filled >= p.plan.quantity or not p.plan.active or end_ns >= p.plan.end_ns):
            del state.parents[pid]
    return StepOutcome(
        list(step.touched.values()),
        step.fills,
        step.events,
        Bar(
            start_ns,
            end_ns,
            sum(b.volume for b in seconds),
            sum(b.notional_half_ticks for b in seconds),
            bid,
            ask,
        ),
        seconds,
        progress,
    )


def _adopt(state: ExecutionState, plan: ParentPlan, now_ns: int) -> None:
    """Take in a parent as the database has it: new, resumed, topped up or stopped."""
    parent = state.parents.get(plan.parent_id)
    if parent is None:
        if not plan.active:
            return
        if plan.filled >= plan.quantity:
            return
        start = max(now_ns, plan.start_ns)
        if plan.filled:  # known from the records, not from this state: plan what is left
            schedule = schedule_for(plan, state, start_ns=now_ns, quantity=plan.quantity - plan.filled)
        else:
            schedule = schedule_for(plan, state, start_ns=start, quantity=plan.quantity)
        state.parents[plan.parent_id] = ParentState(plan, schedule, offset=plan.filled, filled=plan.filled)
        return
    replan = plan.active and (
        not parent.plan.active or plan.quantity != parent.plan.quantity or plan.end_ns != parent.plan.end_ns
    )
    parent.plan = plan
    if replan:  # what is left is rescheduled over the time that is left
        parent.offset = parent.filled
        parent.others_volume = 0
        parent.schedule = schedule_for(plan, state, start_ns=now_ns, quantity=plan.quantity - parent.filled)


def _round_lot(lot_size: int) -> int:
    return max(lot_size, ROUND_LOT // lot_size * lot_size)


def _clip(wanted: int, lot_size: int, room: int, remaining: int) -> int:
    """A child size within ``room``, in round lots: odd lots only signal, unless less than a
    round lot is left of the parent."""
    unit = lot_size if remaining < _round_lot(lot_size) else _round_lot(lot_size)
    return max(0, min(wanted, room)) // unit * unit


def _update_venue_rates(state: ExecutionState, prints: list[Print], seconds: float) -> None:
    """Exponentially smoothed traded volume per venue (one-minute memory)."""
    traded: dict[str, int] = {}
    for p in prints:
        traded[p.venue] = traded.get(p.venue, 0) + p.quantity
    weight = min(1.0, seconds / RATE_MEMORY_S)
    for venue in set(traded) | set(state.venue_rates):
        rate = traded.get(venue, 0) / seconds if seconds > 0 else 0.0
        state.venue_rates[venue] = (1 - weight) * state.venue_rates.get(venue, rate) + weight * rate


def _others_volume(prints: list[Print], ours: set[str]) -> int:
    return sum(p.quantity for p in prints if p.maker_owner not in ours and p.taker_owner not in ours)
