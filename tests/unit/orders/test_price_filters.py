"""Server-rendered prices carry the places the instrument trades in, as the scripts show them."""

from decimal import Decimal
from types import SimpleNamespace

from orders.templatetags.prices import average_price, tick_price

CENTS = SimpleNamespace(price_places=2)


def test_a_limit_shows_its_tick_places_and_an_average_two_more():
    assert tick_price(Decimal("525.000000"), CENTS) == "525.00"
    assert average_price(Decimal("521.039012"), CENTS) == "521.0390"
    assert average_price(Decimal("195.016"), CENTS) == "195.0160"


def test_no_price_shows_as_nothing():
    assert tick_price(None, CENTS) == ""
    assert average_price(None, CENTS) == ""
