"""One step of the engine: the market run in decision intervals, the venues' reports applied to
the children, every parent deciding at each interval. Pure Python, deterministic."""

from __future__ import annotations

import random
from collections.abc import Container, Sequence

from ..market.book import DAY
from ..market.clock import NS_PER_S
from ..market.incidents import AVAILABLE, UP, VenueStatusChanged
from ..market.messages import MIDPOINT, AuctionPublished, ExecutionReport, Print
from ..market.simulator import MarketSimulator
from ..sor import LIMIT_ORDER
from .children import (
    ACKNOWLEDGED,
    AMENDED,
    CANCELLED,
    DONE,
    DONE_FILLED,
    FULLY_FILLED,
    LIVE,
    PARTLY_FILLED,
    TRANSITIONS,
    Child,
    report_meaning,
)
from .scheduling import schedule_for
from .state import Bar, ChildEvent, ExecutionState, FillReport, ParentPlan, ParentProgress, ParentState, StepOutcome
from .tactics import decide

DECISION_NS = NS_PER_S  # how often parents re-evaluate within a step
MARKOUT_NS = 5 * NS_PER_S  # horizon of the mark-out the scorecard ranks venues by
RATE_MEMORY_S = 60.0  # smoothing of per-venue traded volume


class Step:
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
        meaning = report_meaning(report.kind, report.leaves)
        time_ns = report.venue_time_ns
        self.touched[child.order_id] = child
        status, event = TRANSITIONS[(child.status, meaning)]
        if meaning == ACKNOWLEDGED:
            self.state.scorecard.acknowledged(child.venue, report.time_ns - child.sent_ns)
        elif meaning in (PARTLY_FILLED, FULLY_FILLED):
            self._book_fill(child, report)
            self._event(
                event,
                child,
                time_ns,
                quantity=report.quantity,
                price_half_ticks=report.price_half_ticks,
                liquidity=report.liquidity,
                leaves=report.leaves,
            )
        elif meaning == AMENDED:
            child.price_half_ticks = report.price_half_ticks
            child.open = report.leaves
            child.quantity = child.filled + report.leaves
            self._event(event, child, time_ns, quantity=report.leaves, price_half_ticks=report.price_half_ticks)
        elif meaning == CANCELLED:
            self._event(event, child, time_ns, quantity=report.quantity, reason=report.reason)
        else:
            self._event(event, child, time_ns, reason=report.reason)
        if status in DONE:
            self._finish(child, status, time_ns, "" if status == DONE_FILLED else report.reason)
        else:
            child.status = status

    def _book_fill(self, child: Child, report: ExecutionReport) -> None:
        parent = self.state.parents[child.parent_id]
        fee = self.sim.specs[child.venue].fee(report.quantity, report.liquidity)
        child.filled += report.quantity
        child.open -= report.quantity
        parent.filled += report.quantity
        self.state.scorecard.filled(child.venue, report.quantity, fee)
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
        markout = (report.venue_time_ns + MARKOUT_NS, child.venue, child.side, report.price_half_ticks)
        self.state.markouts.append(markout)

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
            self.sim.send_cancel(self.rng, child.order_id, venue=child.venue)

    def replace(self, child: Child, *, open_quantity: int, price_half_ticks: int) -> None:
        """Ask for ``open_quantity`` still to work at a new price or size (never more than now)."""
        if not child.cancel_sent and child.status == LIVE:
            self.sim.send_replace(
                self.rng,
                child.order_id,
                venue=child.venue,
                quantity=child.filled + open_quantity,
                price_half_ticks=price_half_ticks,
            )

    def lit_venues(self, plan: ParentPlan) -> dict:
        """The lit books this parent may send to: every one its orders did not exclude that the
        venue status feed says is taking orders."""
        return {code: book for code, book in self.sim.books.items() if self.may_send(plan, code)}

    def dark_pools(self, plan: ParentPlan) -> dict:
        return {code: pool for code, pool in self.sim.pools.items() if self.may_send(plan, code)}

    def may_send(self, plan: ParentPlan, venue: str) -> bool:
        """Nothing goes out while the instrument is paused (a volatility halt)."""
        return (
            not self.sim.halted
            and venue not in plan.excluded_venues
            and self.sim.venue_status.get(venue, UP) in AVAILABLE
        )

    def fee_bps(self, *, taker: bool) -> dict[str, float]:
        reference = self.state.tick_size * self.sim.reference_ticks
        return {
            code: float((spec.taker_fee if taker else spec.maker_fee) / reference) * 1e4
            for code, spec in self.sim.specs.items()
        }


def run_step(
    sim: MarketSimulator,
    state: ExecutionState,
    parents: Sequence[ParentPlan],
    *,
    end_ns: int,
    rng: random.Random,
    step_no: int = 0,
) -> StepOutcome:
    step = Step(sim, state, rng, step_no)
    start_ns = sim.clock_ns
    for plan in parents:
        _adopt(state, plan, start_ns)
    ours = {p.plan.owner for p in state.parents.values()}
    seconds: list[Bar] = []
    statuses: list[VenueStatusChanged] = []
    auction: list[AuctionPublished] = []
    now = start_ns
    while True:
        step.apply_reports(now)
        step.resolve_markouts(now)
        for parent_id in sorted(state.parents):
            decide(step, state.parents[parent_id], now)
        if now >= end_ns:
            break
        nxt = min(now + DECISION_NS, end_ns)
        prints = sim.run_until(nxt, rng)
        statuses.extend(sim.take_status_changes())
        auction.extend(sim.take_auction_messages())
        others = _others_volume(prints, ours, sim.venues)
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
        statuses,
        auction,
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
        # fills of children a pending cancel no longer needed may have taken it past its new quantity
        parent.schedule = schedule_for(plan, state, start_ns=now_ns, quantity=max(0, plan.quantity - parent.filled))


def _update_venue_rates(state: ExecutionState, prints: list[Print], seconds: float) -> None:
    """Exponentially smoothed traded volume per venue (one-minute memory)."""
    traded: dict[str, int] = {}
    for p in prints:
        traded[p.venue] = traded.get(p.venue, 0) + p.quantity
    weight = min(1.0, seconds / RATE_MEMORY_S)
    for venue in set(traded) | set(state.venue_rates):
        rate = traded.get(venue, 0) / seconds if seconds > 0 else 0.0
        state.venue_rates[venue] = (1 - weight) * state.venue_rates.get(venue, rate) + weight * rate


def _others_volume(prints: list[Print], ours: set[str], lit: Container[str]) -> int:
    """The volume a participation rate counts: the continuous market's, not ours and not an
    auction's cross (a lit midpoint print), as a desk's POV leaves out the auctions it does not
    take part in: 10% of the opening print would send a small parent's whole order at once."""
    return sum(
        p.quantity
        for p in prints
        if p.maker_owner not in ours
        and p.taker_owner not in ours
        and not (p.aggressor_side == MIDPOINT and p.venue in lit)
    )
