"""Simulated time: integer nanoseconds since local midnight of the trading date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EXCHANGE_TZ = ZoneInfo("America/New_York")
NS_PER_S = 1_000_000_000
PRE_OPEN_NS = (9 * 3600 + 15 * 60) * NS_PER_S  # the pre-open: orders for the opening auction are collected
OPEN_NS = (9 * 3600 + 30 * 60) * NS_PER_S
CLOSE_NS = 16 * 3600 * NS_PER_S


def to_datetime(trading_date: date, ns: int) -> datetime:
    midnight = datetime.combine(trading_date, time(0), tzinfo=EXCHANGE_TZ)
    return midnight + timedelta(microseconds=ns // 1000)


def to_ns(trading_date: date, moment: datetime) -> int:
    midnight = datetime.combine(trading_date, time(0), tzinfo=EXCHANGE_TZ)
    return (moment - midnight) // timedelta(microseconds=1) * 1000


def add_weekdays(day: date, count: int) -> date:
    """The ``count``-th weekday after ``day`` (any day); trading dates skip weekends only."""
    weeks, rest = divmod(count, 5)
    day += timedelta(weeks=weeks)
    for _ in range(rest):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    return day


def weekdays_between(first: date, later: date) -> int:
    """How many weekdays ``later`` is after ``first`` (both weekdays): ``add_weekdays``'s inverse."""
    weeks, rest = divmod((later - first).days, 7)
    count, day = weeks * 5, first + timedelta(weeks=weeks)
    for _ in range(rest):
        day += timedelta(days=1)
        count += day.weekday() < 5
    return count


@dataclass(frozen=True, slots=True)
class ExchangeClock:
    """One exchange clock for the whole desk: simulated exchange time as a function of wall time.

    ``first_date`` opened at 09:30 at the wall instant ``opened_at_ns`` (Unix nanoseconds);
    simulated time then runs ``speed`` times faster than the wall, and each close is followed
    at once by the next weekday's pre-open, 09:15 to the open (simulated days have no nights,
    but they have a pre-open: the only time an order can reach the opening auction). Every
    instrument's session reads the same clock, so the desk has one time, whether or not an
    instrument has anything working.
    """

    opened_at_ns: int
    first_date: date
    speed: float

    def __post_init__(self) -> None:
        assert self.speed > 0, "an exchange clock runs: speed 0 means steps back to back, with no clock"
        assert self.first_date.weekday() < 5, "trading dates are weekdays"

    @property
    def day_wall_ns(self) -> int:
        """Wall nanoseconds from one pre-open to the next."""
        return round((CLOSE_NS - PRE_OPEN_NS) / self.speed)

    @property
    def pre_open_wall_ns(self) -> int:
        return round((OPEN_NS - PRE_OPEN_NS) / self.speed)

    def now(self, wall_ns: int) -> tuple[date, int]:
        """The trading date and its simulated nanoseconds since midnight at ``wall_ns``; before
        the clock was set, the first date's pre-open."""
        since = max(0, wall_ns - self.opened_at_ns + self.pre_open_wall_ns)
        days, into_day = divmod(since, self.day_wall_ns)
        ns = OPEN_NS + round((into_day - self.pre_open_wall_ns) * self.speed)  # exact at each open
        return add_weekdays(self.first_date, days), max(PRE_OPEN_NS, min(ns, CLOSE_NS))

    def wall_ns_at(self, trading_date: date, ns: int) -> int:
        """When the clock reads ``ns`` on ``trading_date``; a date before the clock was set
        has passed: its every moment is due."""
        if trading_date < self.first_date:
            return self.opened_at_ns
        days = weekdays_between(self.first_date, trading_date)
        return self.opened_at_ns + days * self.day_wall_ns + round((ns - OPEN_NS) / self.speed)
