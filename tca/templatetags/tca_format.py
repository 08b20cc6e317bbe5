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
