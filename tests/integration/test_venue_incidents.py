"""A venue goes down while a parent works: the router avoids it, the parent fills elsewhere, the
status is audited, on the scorecard and pushed live; every instrument meets the same day."""

import pytest

from orders.models import AuditEvent, Instrument, ParentStatus
from routing.market.clock import NS_PER_S, OPEN_NS, to_datetime
from routing.market.incidents import DOWN, UP, VenueIncident
from routing.models import ChildOrder, MarketSession
from routing.selectors import session_checkpoint
from routing.services import sessions as sessions_service
from routing.services.sessions import session_get_or_create
from routing.services.steps import session_advance
from smarttrading import streams

from .test_tca import submit_two_buys

pytestmark = pytest.mark.django_db
DOWN_FROM, DOWN_TO = OPEN_NS // NS_PER_S + 20, OPEN_NS // NS_PER_S + 200  # 09:30:20 to 09:33:20


@pytest.fixture
def nyse_goes_down(monkeypatch):
    incident = VenueIncident("NYSE", DOWN, DOWN_FROM, DOWN_TO)
    monkeypatch.setattr(sessions_service, "day_incidents", lambda *args, **kwargs: (incident,))


def test_a_parent_works_through_a_venue_outage_and_the_desk_sees_it(demo, nyse_goes_down, monkeypatch):
    # given a parent on XOM, and what is published to the supervisors' execution stream
    published = []
    monkeypatch.setattr(streams, "publish_on_commit", lambda group, message: published.append((group, message)))
    parent = submit_two_buys()
    session = MarketSession.objects.get(instrument=parent.instrument)

    # when its session steps it to the end
    scorecards = {}
    for _ in range(200):
        session.refresh_from_db()
        if session.status != MarketSession.Status.RUNNING:
            break
        session_advance(session_id=session.pk, step_no=session.step_no)
        session.refresh_from_db()
        scorecards[session.sim_time_ns // NS_PER_S] = {r["venue"]: r["status"] for r in session.scorecard}
    parent.refresh_from_db()

    # then it filled, and no child went to NYSE while NYSE was down
    assert parent.status == ParentStatus.FILLED
    at = lambda s: to_datetime(session.trading_date, s * NS_PER_S)  # noqa: E731
    during = ChildOrder.objects.filter(parent=parent, sim_time__gte=at(DOWN_FROM), sim_time__lt=at(DOWN_TO))
    assert during.exists() and not during.filter(venue="NYSE").exists()
    # what rested on NYSE when it went down was cancelled by the venue, and worked elsewhere
    cancelled = AuditEvent.objects.filter(parent=parent, kind="child.cancelled", detail__venue="NYSE")
    assert all("venue down" in (e.detail.get("reason") or "") for e in cancelled.filter(sim_time__gte=at(DOWN_FROM)))

    # and the venue's status is in the audit trail, on the scorecard while it lasted, and pushed live
    statuses = AuditEvent.objects.filter(kind="venue.status").order_by("id")
    assert [(e.detail["venue"], e.detail["status"], e.sim_time) for e in statuses] == [
        ("NYSE", DOWN, at(DOWN_FROM)),
        ("NYSE", UP, at(DOWN_TO)),
    ]
    assert {s: v["NYSE"] for s, v in scorecards.items() if DOWN_FROM + 5 <= s < DOWN_TO} == {
        s: DOWN for s in scorecards if DOWN_FROM + 5 <= s < DOWN_TO
    }
    assert scorecards[max(scorecards)]["NYSE"] == UP
    pushed = [m for g, m in published if g == streams.EXECUTION_GROUP and m["type"] == "venue_status"]
    assert [[(c["venue"], c["status"], c["instrument"]) for c in m["changes"]] for m in pushed] == [
        [("NYSE", DOWN, "XOM")],
        [("NYSE", UP, "XOM")],
    ]


def test_every_instrument_of_the_day_meets_the_same_incidents(demo, settings):
    # given a day on which every venue has an incident
    settings.VENUE_INCIDENT_CHANCE = 1.0
    sessions = [session_get_or_create(instrument=i) for i in Instrument.objects.order_by("symbol")]

    # then each instrument's market carries the same ones, of more than one kind
    incidents = {session_checkpoint(s)[0].incidents for s in sessions}
    assert len(incidents) == 1
    (day,) = incidents
    assert len(day) >= 4 and len({i.status for i in day}) >= 2
    assert {r["venue"]: r["status"] for r in sessions[0].scorecard} == dict.fromkeys(
        ("BATS", "DARKX", "DARKY", "NASDAQ", "NYSE"), UP
    )
