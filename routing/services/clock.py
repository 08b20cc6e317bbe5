"""The desk's one exchange clock: read it, or set it so that a fresh trading day opens now.

Every instrument's session reads this clock: a running session steps when the clock reaches
the end of its next step, and one with nothing working is stepped forward to it (see
``sessions.session_catch_up``). With ``SMARTTRADING_SIM_SPEED=0`` (tests, benchmarks) there is
no clock: steps run back to back and each session keeps its own time, as fast as it can go.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import transaction

from ..market.clock import EXCHANGE_TZ, ExchangeClock, add_weekdays
from ..models import ExchangeClockSetting, MarketSession

CLOCK_ROW = 1


def wall_now_ns() -> int:
    return time.time_ns()


def _as_ns(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000


def _as_datetime(ns: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ns // 1000)


def _clock(setting: ExchangeClockSetting) -> ExchangeClock:
    return ExchangeClock(_as_ns(setting.opened_at), setting.first_trading_date, setting.speed)


def exchange_clock() -> ExchangeClock | None:
    """The desk's clock, set at the first need if nobody set it; None when time is not paced.

    A change of ``SMARTTRADING_SIM_SPEED`` keeps the time the clock reads and runs on at the
    new speed from there.
    """
    if settings.SIM_SPEED <= 0:
        return None
    setting = ExchangeClockSetting.objects.filter(pk=CLOCK_ROW).first()
    if setting is None:
        return exchange_open()
    if setting.speed != settings.SIM_SPEED:
        return _clock_speed_changed(setting)
    return _clock(setting)


def trading_date_at(moment: datetime) -> date | None:
    """The trading date the desk's clock read at a wall moment; None when time is not paced."""
    clock = exchange_clock()
    return None if clock is None else clock.now(_as_ns(moment))[0]


@transaction.atomic
def exchange_open(*, wall_ns: int | None = None) -> ExchangeClock:
    """Set the clock so that a trading date opens at 09:30 now: today's (exchange time), or the
    weekday after the latest session's, whichever is later, so no day is traded twice."""
    wall_ns = wall_now_ns() if wall_ns is None else wall_ns
    yesterday = _as_datetime(wall_ns).astimezone(EXCHANGE_TZ).date() - timedelta(days=1)
    latest = MarketSession.objects.order_by("-trading_date").values_list("trading_date", flat=True).first()
    first = add_weekdays(max(yesterday, latest or yesterday), 1)  # the first weekday after both
    speed = settings.SIM_SPEED if settings.SIM_SPEED > 0 else 1.0
    ExchangeClockSetting.objects.update_or_create(
        pk=CLOCK_ROW, defaults={"opened_at": _as_datetime(wall_ns), "first_trading_date": first, "speed": speed}
    )
    return ExchangeClock(wall_ns, first, speed)


@transaction.atomic
def _clock_speed_changed(setting: ExchangeClockSetting) -> ExchangeClock:
    setting = ExchangeClockSetting.objects.select_for_update().get(pk=setting.pk)
    old = _clock(setting)
    wall_ns = wall_now_ns()
    trading_date, ns = old.now(wall_ns)
    faster = ExchangeClock(0, trading_date, settings.SIM_SPEED)
    setting.opened_at = _as_datetime(wall_ns - faster.wall_ns_at(trading_date, ns))
    setting.first_trading_date, setting.speed = trading_date, settings.SIM_SPEED
    setting.save()
    return _clock(setting)
