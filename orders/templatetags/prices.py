"""Prices on server-rendered pages with the places the instrument trades in, as the
pages' scripts show them (``fmt.tick`` and ``fmt.avg`` in stream.js)."""

from decimal import Decimal

from django import template

register = template.Library()


def _places(value: Decimal | None, places: int) -> str:
    return "" if value is None else f"{value.quantize(Decimal(1).scaleb(-places))}"


@register.filter
def tick_price(value: Decimal | None, instrument) -> str:
    """A limit or quote: the instrument's tick places (105.00)."""
    return _places(value, instrument.price_places)


@register.filter
def average_price(value: Decimal | None, instrument) -> str:
    """An average of fills: two places finer than the tick (104.9640)."""
    return _places(value, instrument.price_places + 2)
