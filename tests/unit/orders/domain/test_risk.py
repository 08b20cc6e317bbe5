"""Pre-trade risk checks, pure: each check's reason, failing closed, and running usage."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from orders.domain.intake import InstrumentSpec, OrderRequest
from orders.domain.risk import RiskLimits, RiskUsage, risk_check
from orders.domain.values import Side

AAPL = InstrumentSpec("AAPL", Decimal("0.01"), 1, Decimal("190.00"))
OPEN = RiskLimits(None, None, None, None, None)


def order(quantity=100, limit="190.00", instrument="AAPL"):
    limit_price = None if limit is None else Decimal(limit)
    return OrderRequest("C-1", "T1-GROWTH", instrument, Side.BUY, quantity, limit_price, "TWAP", "MEDIUM")


def check(request, limits=OPEN, usage=None, spec=AAPL):
    breach, notional = risk_check(request, spec, limits, usage or RiskUsage(Decimal(0), 0))
    return (breach.check, breach.reason) if breach else None, notional


def test_an_order_within_every_limit_passes_and_counts_its_notional():
    limits = RiskLimits(1_000, Decimal("200000"), Decimal("20"), Decimal("1000000"), 10)

    assert check(order(quantity=1_000, limit="190.00"), limits) == (None, Decimal("190000.00"))
    # a market order counts at the reference price
    assert check(order(quantity=500, limit=None), limits) == (None, Decimal("95000.00"))


def test_each_limit_names_its_check_and_why():
    assert check(order(quantity=1_001), RiskLimits(1_000, None, None, None, None))[0] == (
        "max_order_quantity",
        "quantity 1,001 exceeds the account's maximum of 1,000",
    )
    assert check(order(quantity=1_000), RiskLimits(None, Decimal("100000"), None, None, None))[0] == (
        "max_order_notional",
        "notional 190,000.00 exceeds the account's maximum per order of 100,000.00",
    )
    assert check(order(limit="240.00"), RiskLimits(None, None, Decimal("20"), None, None))[0] == (
        "price_collar",
        "limit 240.00 is outside the 20% price collar around the reference 190.00",
    )
    restricted = RiskLimits(None, None, None, None, None, frozenset({"AAPL"}))
    assert check(order(), restricted)[0] == ("restricted_instrument", "AAPL is on this account's restricted list")
    assert check(order(), RiskLimits(None, None, None, None, 5), RiskUsage(Decimal(0), 5))[0] == (
        "order_rate",
        "the account sent 5 orders in the last minute: try again shortly",
    )
    assert check(
        order(quantity=100), RiskLimits(None, None, None, Decimal("50000"), None), RiskUsage(Decimal("40000"), 0)
    )[0] == (
        "daily_gross_notional",
        "notional 19,000.00 exceeds what is left of the account's daily limit (10,000.00 of 50,000.00)",
    )


def test_the_collar_edges_are_inside():
    limits = RiskLimits(None, None, Decimal("20"), None, None)

    assert check(order(limit="152.00"), limits)[0] is None
    assert check(order(limit="228.00"), limits)[0] is None
    assert check(order(limit="151.99"), limits)[0][0] == "price_collar"


def test_checks_fail_closed_on_a_missing_or_broken_reference_price():
    for reference in ("0", "NaN", "Infinity", "-1"):
        spec = InstrumentSpec("AAPL", Decimal("0.01"), 1, Decimal(reference))
        breach, notional = check(order(limit=None), spec=spec)
        assert breach == (
            "reference_price",
            "no valid reference price for AAPL: orders are refused until it has one",
        )
        assert notional == 0


def test_a_non_finite_limit_is_refused_even_with_every_limit_off():
    for limit in ("NaN", "Infinity", "-Infinity"):
        assert check(order(limit=limit))[0][0] == "limit_price"


@given(
    quantities=st.lists(st.integers(min_value=1, max_value=5_000), min_size=1, max_size=60),
    daily=st.integers(min_value=0, max_value=2_000_000),
    per_minute=st.integers(min_value=0, max_value=40),
)
def test_a_batch_never_exceeds_the_daily_limit_or_the_rate(quantities, daily, per_minute):
    """Given usage carried from order to order as the service does, what is accepted stays within the limits."""
    limits = RiskLimits(None, None, None, Decimal(daily), per_minute)
    usage = RiskUsage(Decimal(0), 0)
    accepted = []
    for quantity in quantities:
        breach, notional = risk_check(order(quantity=quantity), AAPL, limits, usage)
        if breach is None:
            usage.gross_notional_today += notional
            usage.orders_last_minute += 1
            accepted.append(notional)
        elif breach.check == "order_rate":
            assert usage.orders_last_minute == per_minute
        else:  # refused for the credit limit only when it would really go over
            assert breach.check == "daily_gross_notional"
            assert usage.gross_notional_today + notional > daily

    assert sum(accepted) <= daily
    assert len(accepted) <= per_minute
