"""One exchange clock for the desk: simulated time as a function of wall time, weekdays only."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.market.clock import (
    CLOSE_NS,
    NS_PER_S,
    OPEN_NS,
    PRE_OPEN_NS,
    ExchangeClock,
    add_weekdays,
    weekdays_between,
)

FRIDAY = date(2026, 12, 4)
CLOCK = ExchangeClock(opened_at_ns=1_000 * NS_PER_S, first_date=FRIDAY, speed=60.0)
weekdays = st.dates(date(2026, 1, 1), date(2030, 12, 31)).filter(lambda d: d.weekday() < 5)


def test_the_clock_opens_at_half_past_nine_and_runs_sixty_times_faster_than_the_wall():
    assert CLOCK.now(CLOCK.opened_at_ns) == (FRIDAY, OPEN_NS)
    # half a wall minute is half a simulated hour
    assert CLOCK.now(CLOCK.opened_at_ns + 30 * NS_PER_S) == (FRIDAY, OPEN_NS + 1_800 * NS_PER_S)
    # the day is a 15-minute pre-open and 6.5 hours of trading, 6.75 wall minutes; the close is
    # followed by Monday's pre-open, not Saturday's, and Monday opens 15 wall seconds later
    assert CLOCK.day_wall_ns == 405 * NS_PER_S
    closed = CLOCK.opened_at_ns + 390 * NS_PER_S
    assert CLOCK.now(closed - 1)[0] == FRIDAY
    assert CLOCK.now(closed) == (date(2026, 12, 7), PRE_OPEN_NS)
    assert CLOCK.now(closed + 10 * NS_PER_S) == (date(2026, 12, 7), PRE_OPEN_NS + 600 * NS_PER_S)
    assert CLOCK.now(CLOCK.opened_at_ns + CLOCK.day_wall_ns) == (date(2026, 12, 7), OPEN_NS)
    assert CLOCK.wall_ns_at(date(2026, 12, 7), OPEN_NS) == CLOCK.opened_at_ns + CLOCK.day_wall_ns
    # before it was set it reads the first date's pre-open
    assert CLOCK.now(0) == (FRIDAY, PRE_OPEN_NS)


def test_a_date_before_the_clock_was_set_is_all_due():
    assert CLOCK.wall_ns_at(FRIDAY - timedelta(days=1), CLOSE_NS) == CLOCK.opened_at_ns


def test_a_clock_that_stands_still_is_refused():
    with pytest.raises(AssertionError, match="speed 0"):
        ExchangeClock(0, FRIDAY, 0.0)
    with pytest.raises(AssertionError, match="weekdays"):
        ExchangeClock(0, date(2026, 12, 5), 60.0)


@given(weekdays, st.integers(0, 2_000))
def test_weekday_counting_is_the_inverse_of_adding_weekdays(first, count):
    later = add_weekdays(first, count)
    assert later.weekday() < 5 and weekdays_between(first, later) == count


@given(st.integers(0, 400 * 24 * 3600).map(lambda s: s * NS_PER_S), st.sampled_from([1.0, 60.0, 600.0]))
def test_when_the_clock_reads_a_time_is_the_inverse_of_what_it_reads(elapsed_ns, speed):
    clock = ExchangeClock(opened_at_ns=5 * NS_PER_S, first_date=FRIDAY, speed=speed)
    trading_date, ns = clock.now(clock.opened_at_ns + elapsed_ns)
    assert PRE_OPEN_NS <= ns <= CLOSE_NS and trading_date.weekday() < 5
    # the wall instant it names reads the same, to within rounding of one wall nanosecond per speed
    again = clock.now(clock.wall_ns_at(trading_date, ns))
    assert again[0] == trading_date and abs(again[1] - ns) <= speed + 1
