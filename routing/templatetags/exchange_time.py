"""Times on pages read on the desk's one exchange clock, as the header shows it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django import template
from django.utils import timezone

from ..market.clock import EXCHANGE_TZ, ExchangeClock, to_datetime

register = template.Library()


@register.simple_tag(takes_context=True)
def exchange_time(context, moment: datetime | None, fmt: str = "%H:%M:%S") -> str:
    """``moment``, a wall-clock instant (an order's receipt, a kill switch's pull), as the
    exchange clock read it then; the New York wall time when time is not paced (no clock)."""
    if moment is None:
        return ""
    shown = context.get("exchange_clock")
    if not shown:
        return timezone.localtime(moment, EXCHANGE_TZ).strftime(fmt)
    clock = context.render_context.get("exchange_clock_value")
    if clock is None:  # once a page, however many rows it has
        clock = ExchangeClock(
            shown["opened_at_ms"] * 1_000_000, date.fromisoformat(shown["first_date"]), shown["speed"]
        )
        context.render_context["exchange_clock_value"] = clock
    wall_ns = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000
    return to_datetime(*clock.now(wall_ns)).strftime(fmt)
