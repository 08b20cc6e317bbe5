"""Simulated time: integer nanoseconds since local midnight of the trading date."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EXCHANGE_TZ = ZoneInfo("America/New_York")
NS_PER_S = 1_000_000_000
OPEN_NS = (9 * 3600 + 30 * 60) * NS_PER_S
CLOSE_NS = 16 * 3600 * NS_PER_S


def to_datetime(trading_date: date, ns: int) -> datetime:
    midnight = datetime.combine(trading_date, time(0), tzinfo=EXCHANGE_TZ)
    return midnight + timedelta(microseconds=ns // 1000)


def to_ns(trading_date: date, moment: datetime) -> int:
    midnight = datetime.combine(trading_date, time(0), tzinfo=EXCHANGE_TZ)
    return (moment - midnight) // timedelta(microseconds=1) * 1000
