"""What the engine knows of each parent and remembers between steps, and what a step reports. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..algorithms.schedules import VolumeProfile
from ..market.incidents import VenueStatusChanged
from ..market.messages import AuctionPublished
from ..sor import Scorecard
from .children import Child

SWEEP_TICKS = 3  # aggressive orders reach at most this far through the touch

IMMEDIATE = "IMMEDIATE"  # everything now: the naive market order, for comparison

# Tactics: how a child works
PASSIVE = "PASSIVE"
DARK = "DARK"
AGGRESSIVE = "AGGRESSIVE"
AUCTION = "AUCTION"  # in the opening or the closing auction

# Routing: how the router spreads what a parent takes
PARALLEL = "PARALLEL"
SEQUENTIAL = "SEQUENTIAL"
LIQUIDITY_SEEKING = "LIQUIDITY_SEEKING"


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
    strategy: str  # TWAP, VWAP, POV, IS, OPEN, CLOSE
    urgency: float = 2.0  # IS: κT
    pov_rate: float = 0.10
    max_participation: float = 0.25
    aggressiveness: float = 0.5
    routing: str = LIQUIDITY_SEEKING
    excluded_venues: frozenset[str] = frozenset()  # the trader's venues to avoid: never sent to
    sweep_ticks: int = SWEEP_TICKS  # how far through the touch aggressive orders may reach
    active: bool = True  # False: paused, cancel requested, or kill switch: cancel children, send nothing

    @property
    def owner(self) -> str:
        return f"parent:{self.parent_id}"


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
    venue_statuses: list[VenueStatusChanged] = field(default_factory=list)  # status messages in the step
    auction: list[AuctionPublished] = field(default_factory=list)  # the closing auction's feed in the step
