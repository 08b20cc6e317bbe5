"""Formatting for TCA tables."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def percent(value, places: int = 1) -> str:
    """A ratio as a percentage (0.0042 -> "0.4%"); an en dash when there is none."""
    if value is None:
        return "–"
    return f"{Decimal(value) * 100:.{int(places)}f}%"


@register.filter
def tone(value) -> str:
    """The CSS class of a signed figure (a number or its string): good above zero, bad below."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    return "good" if number > 0 else "bad" if number < 0 else ""


BENCHMARK_LABELS = {
    "arrival": "Arrival (mid)",
    "open": "Official open",
    "interval_vwap": "Interval VWAP",
    "twap": "Interval TWAP",
    "day_vwap": "Day VWAP",
    "close": "Official close",
}


@register.filter
def benchmark_label(name: str) -> str:
    """A report's benchmark key as the desk names it (interval_vwap -> "Interval VWAP")."""
    return BENCHMARK_LABELS.get(name, name)
