"""Market data over REST: L1/L2 from the latest checkpoint, bars with interval VWAP."""

import pickle
from decimal import Decimal

import pytest

from orders.models import Instrument
from routing.models import MarketBar, MarketSession
from routing.services.sessions import session_get_or_create
from routing.services.steps import session_advance

pytestmark = pytest.mark.django_db


def test_quote_is_the_checkpoint_nbbo_with_its_size_and_each_venues_depth(demo, trader1):
    xom = Instrument.objects.get(symbol="XOM")
    session = session_get_or_create(instrument=xom)
    simulator, _ = pickle.loads(session.state)
    bid, ask = simulator.nbbo()

    response = trader1.get("/api/v1/instruments/xom/quote/?levels=3")

    assert response.status_code == 200
    body = response.json()
    assert body["instrument"] == "XOM"
    # prices as the instrument trades, in cents: 104.99, not 104.990000
    assert body["nbbo"]["bid"] == str((xom.tick_size * bid).quantize(Decimal("0.01")))
    assert body["nbbo"]["ask"] == str((xom.tick_size * ask).quantize(Decimal("0.01")))
    assert len(body["nbbo"]["mid"].split(".")[1]) == 3
    assert all(len(level["price"].split(".")[1]) == 2 for v in body["venues"] for level in v["bids"] + v["asks"])
    assert Decimal(body["nbbo"]["ask"]) > Decimal(body["nbbo"]["bid"])
    venues = {v["venue"]: v for v in body["venues"]}
    assert set(venues) == {"NYSE", "NASDAQ", "BATS"}  # dark pools display nothing
    for depth in venues.values():
        assert len(depth["bids"]) == 3 and len(depth["asks"]) == 3
        bids = [Decimal(level["price"]) for level in depth["bids"]]
        asks = [Decimal(level["price"]) for level in depth["asks"]]
        assert bids == sorted(bids, reverse=True) and asks == sorted(asks)  # from the touch outwards
    # the NBBO size is the displayed size at the NBBO price, summed over venues
    at_bid = sum(
        level["quantity"]
        for v in venues.values()
        for level in v["bids"]
        if Decimal(level["price"]) == Decimal(body["nbbo"]["bid"])
    )
    assert body["nbbo"]["bid_size"] == at_bid > 0


def test_bars_give_the_interval_vwap_of_the_tape(demo, analyst):
    xom = Instrument.objects.get(symbol="XOM")
    session = session_get_or_create(instrument=xom)
    MarketSession.objects.filter(pk=session.pk).update(status=MarketSession.Status.RUNNING)
    for step in range(3):
        session_advance(session_id=session.pk, step_no=step)
    bars = MarketBar.objects.filter(session=session).order_by("start")
    volume = sum(b.volume for b in bars)
    notional = sum(b.notional for b in bars)
    assert volume > 0

    response = analyst.get("/api/v1/instruments/XOM/bars/?bar_seconds=5")

    assert response.status_code == 200
    body = response.json()
    assert body["volume"] == volume
    assert body["vwap"] == str((notional / volume).quantize(Decimal("0.000001")))
    assert sum(b["volume"] for b in body["bars"]) == volume
    assert len(body["bars"]) == len({(b.start.timestamp() // 5) for b in bars})


def test_bad_market_queries_are_400s_and_unknown_symbols_404s(demo, trader1):
    session_get_or_create(instrument=Instrument.objects.get(symbol="XOM"))

    assert trader1.get("/api/v1/instruments/XOM/quote/?levels=0").json() == {
        "levels": ["Ensure this value is greater than or equal to 1."]
    }
    response = trader1.get("/api/v1/instruments/XOM/bars/?bar_seconds=7&start=noon")
    assert response.status_code == 400
    assert set(response.json()) == {"bar_seconds", "start"}
    assert trader1.get("/api/v1/instruments/NOPE/quote/").status_code == 404
