"""Execution schedules: how many shares each algorithm wants done by a given moment.

Pure Python. A schedule answers ``target(now_ns, others_volume)``: the cumulative
shares it wants executed by ``now_ns``, in whole lots, never above the quantity.
The engine compares that with what is filled after every fill and decides how
hard to work (see ``routing.engine.tactics``). ``others_volume`` is the market volume
since the parent started that was not ours: POV follows it, and every algorithm
respects the parent's maximum participation against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..market.clock import NS_PER_S
from .almgren_chriss import holdings_for
from .twap import twap_target


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """What every algorithm is parameterized with."""

    quantity: int
    start_ns: int
    end_ns: int
    lot_size: int = 1
    max_participation: float = 0.25  # share of total volume, our own included
    aggressiveness: float = 0.5  # 0 = patient, 1 = cross the spread as soon as behind


def participation_cap(spec: ScheduleSpec, others_volume: int) -> int:
    """Most we may have traded so our share of all volume stays within the cap:
    ours ≤ p·(ours + others) ⇔ ours ≤ p/(1−p)·others. One lot is always allowed."""
    p = spec.max_participation
    if p >= 1:
        return spec.quantity
    allowed = int(p / (1 - p) * others_volume)
    return max(spec.lot_size, allowed // spec.lot_size * spec.lot_size)


def _lots(spec: ScheduleSpec, shares: float) -> int:
    return min(spec.quantity, int(shares / spec.lot_size) * spec.lot_size)


@dataclass(frozen=True, slots=True)
class TwapSchedule:
    spec: ScheduleSpec
    name: str = "TWAP"

    def target(self, now_ns: int, others_volume: int) -> int:
        planned = twap_target(
            quantity=self.spec.quantity,
            start_ns=self.spec.start_ns,
            end_ns=self.spec.end_ns,
            now_ns=now_ns,
            lot_size=self.spec.lot_size,
        )
        return min(planned, participation_cap(self.spec, others_volume))


@dataclass(frozen=True, slots=True)
class ImmediateSchedule:
    """Everything at once, whatever it costs: the naive benchmark every algorithm must beat, and
    the schedule of an order at the open (all of it due in the opening auction, or not at all)."""

    spec: ScheduleSpec
    name: str = "IMMEDIATE"

    def target(self, now_ns: int, others_volume: int) -> int:
        return self.spec.quantity


@dataclass(frozen=True, slots=True)
class CloseSchedule:
    """Everything at the close: nothing is due before it, all of it then."""

    spec: ScheduleSpec
    name: str = "CLOSE"

    def target(self, now_ns: int, others_volume: int) -> int:
        return self.spec.quantity if now_ns >= self.spec.end_ns else 0


@dataclass(frozen=True, slots=True)
class VolumeProfile:
    """Expected share of the day's volume in equal bins from open to close."""

    open_ns: int
    close_ns: int
    shares: tuple[float, ...]
    _cumulative: tuple[float, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        total = sum(self.shares)
        running, cumulative = 0.0, [0.0]
        for share in self.shares:
            running += share / total
            cumulative.append(running)
        object.__setattr__(self, "_cumulative", tuple(cumulative))

    def cumulative(self, at_ns: int) -> float:
        """Expected fraction of the day's volume traded by ``at_ns`` (linear within a bin)."""
        bins = len(self.shares)
        position = (at_ns - self.open_ns) / (self.close_ns - self.open_ns) * bins
        if position <= 0:
            return 0.0
        if position >= bins:
            return 1.0
        index = int(position)
        low, high = self._cumulative[index], self._cumulative[index + 1]
        return low + (high - low) * (position - index)


@dataclass(frozen=True, slots=True)
class VwapSchedule:
    """Follows the historical intraday volume profile between start and end."""

    spec: ScheduleSpec
    profile: VolumeProfile
    name: str = "VWAP"

    def target(self, now_ns: int, others_volume: int) -> int:
        if now_ns >= self.spec.end_ns:
            planned = self.spec.quantity
        else:
            start = self.profile.cumulative(self.spec.start_ns)
            span = self.profile.cumulative(self.spec.end_ns) - start
            done = (self.profile.cumulative(now_ns) - start) / span if span > 0 else 0.0
            planned = _lots(self.spec, self.spec.quantity * max(0.0, done))
        return min(planned, participation_cap(self.spec, others_volume))


@dataclass(frozen=True, slots=True)
class PovSchedule:
    """Trades a fixed share of all volume, own included: p/(1−p) of others' volume."""

    spec: ScheduleSpec
    rate: float
    name: str = "POV"

    def target(self, now_ns: int, others_volume: int) -> int:
        if now_ns <= self.spec.start_ns:
            return 0
        return _lots(self.spec, self.rate / (1 - self.rate) * others_volume)


@dataclass(frozen=True, slots=True)
class ShortfallSchedule:
    """Implementation Shortfall: the Almgren–Chriss optimal trajectory, front-loaded by urgency."""

    spec: ScheduleSpec
    holdings: tuple[float, ...]  # from optimal_trajectory, shares still to do at each grid point
    name: str = "IS"

    @classmethod
    def plan(cls, spec: ScheduleSpec, *, urgency: float, periods: int = 60) -> ShortfallSchedule:
        """``urgency`` is κT (0 gives TWAP): the optimal trajectory for the risk aversion with that
        κ, whatever this market's costs (the trajectory's shape depends on κ alone), so no
        size or horizon can make the model's η − γτ/2 negative and the schedule fail."""
        horizon = max(spec.end_ns - spec.start_ns, 1) / NS_PER_S
        holdings = holdings_for(shares=spec.quantity, horizon=horizon, periods=periods, kappa=max(urgency, 0) / horizon)
        return cls(spec, tuple(holdings))

    def target(self, now_ns: int, others_volume: int) -> int:
        periods = len(self.holdings) - 1
        if now_ns <= self.spec.start_ns:
            return 0
        if now_ns >= self.spec.end_ns:
            planned = self.spec.quantity
        else:
            position = (now_ns - self.spec.start_ns) / (self.spec.end_ns - self.spec.start_ns) * periods
            index = int(position)
            remaining = self.holdings[index] + (self.holdings[index + 1] - self.holdings[index]) * (position - index)
            planned = _lots(self.spec, self.spec.quantity - remaining)
        return min(planned, participation_cap(self.spec, others_volume))


def profile_from_volumes(open_ns: int, close_ns: int, days: Sequence[Sequence[int]]) -> VolumeProfile:
    """Average several days' binned volumes, each day normalized to a share of its total."""
    bins = len(days[0])
    shares = [0.0] * bins
    for day in days:
        total = sum(day) or 1
        for i, volume in enumerate(day):
            shares[i] += volume / total
    return VolumeProfile(open_ns, close_ns, tuple(s / len(days) for s in shares))
