"""The opening cross at the desk: the session's first step records the official open, in the
audit trail, on the tape, live to the overview and on the panel of a parent working from the open."""

from decimal import Decimal

import pytest

from orders.models import AuditEvent
from orders.payloads import iso_time
from routing.market.clock import OPEN_NS, to_datetime
from routing.models import MarketBar, MarketSession
from routing.selectors import parent_panel_series
from routing.services.steps import session_advance
from smarttrading import streams
from tca.reports import parent_report

from .test_tca import submit_two_buys

pytestmark = pytest.mark.django_db


def test_the_first_step_records_the_official_open_and_shows_it_to_the_desk(demo, monkeypatch):
    # given a parent on XOM at the open, and what is published
    published = []
    monkeypatch.setattr(streams, "publish_on_commit", lambda group, message: published.append((group, message)))
    parent = submit_two_buys()
    session = MarketSession.objects.get(instrument=parent.instrument)
    assert (session.sim_time_ns, session.opening_price) == (OPEN_NS, None)

    # when its session takes its first step
    session_advance(session_id=session.pk, step_no=0)
    session.refresh_from_db()
    parent.refresh_from_db()

    # then the session keeps the official open, the opening cross's price and shares
    opened_at = to_datetime(session.trading_date, OPEN_NS)
    assert session.opening_price > 0 and session.opening_volume > 0
    assert session.auction == {
        "phase": "OPEN",
        "time": iso_time(opened_at),
        "venue": "NYSE",
        "price": str(session.opening_price.quantize(Decimal("0.01"))),  # in XOM's places
        "paired": session.opening_volume,
        "imbalance": session.auction["imbalance"],
    }
    reference = Decimal(session.reference_ticks) * session.instrument.tick_size
    assert abs(session.opening_price / reference - 1) < Decimal("0.003")  # within 30 bps of the reference
    # in the audit trail, at 09:30
    (cross,) = AuditEvent.objects.filter(kind="market.opening_cross")
    assert (cross.sim_time, cross.detail) == (opened_at, {"instrument": "XOM", **session.auction})
    # on the tape: the first second's bar holds the cross's shares
    first = MarketBar.objects.filter(session=session).order_by("start").first()
    assert first.start == opened_at and first.volume >= session.opening_volume
    # live to the overview, and to the panel of the parent working from the open
    auction = {"type": "auction", "instrument": "XOM", **session.auction}
    assert [m for g, m in published if g == streams.EXECUTION_GROUP and m["type"] == "auction"] == [auction]
    crosses = [m for g, m in published if g == streams.parent_group(parent.pk) and m["type"] == "cross"]
    assert crosses == [{"type": "cross", **session.auction}]
    # and in the panel's series on a fresh load
    assert parent_panel_series(parent)["crosses"] == [
        {
            "phase": "OPEN",
            "time": session.auction["time"],
            "price": session.auction["price"],
            "paired": session.opening_volume,
        }
    ]
    # and TCA measures the parent against the official open
    assert parent_report(parent).benchmarks["open"] == session.opening_price
