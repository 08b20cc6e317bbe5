"""Venue rows drive the simulated market: what a supervisor sets is what the next session trades on."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from orders.models import Instrument
from routing.market.venues import DEFAULT_VENUES
from routing.models import MarketSession, Venue
from routing.selectors import session_checkpoint, venue_specs
from routing.services.sessions import session_get_or_create

pytestmark = pytest.mark.django_db


def test_demo_venues_are_the_simulator_defaults(demo):
    assert venue_specs() == DEFAULT_VENUES


def test_a_new_session_trades_on_the_venues_as_configured(demo):
    # given: a supervisor makes NYSE's taker fee dearer and disconnects BATS
    Venue.objects.filter(code="NYSE").update(taker_fee=Decimal("0.0042"))
    Venue.objects.filter(code="BATS").update(active=False)

    # when: the instrument's session opens
    session = session_get_or_create(instrument=Instrument.objects.get(symbol="AAPL"))

    # then: its market has NYSE at the new fee and no BATS
    simulator, _ = session_checkpoint(session)
    assert simulator.specs["NYSE"].taker_fee == Decimal("0.0042")
    assert sorted(simulator.specs) == ["DARKX", "DARKY", "NASDAQ", "NYSE"]
    assert session.reference_ticks == 19_000


def test_a_running_session_keeps_the_venues_it_opened_with(demo):
    session = session_get_or_create(instrument=Instrument.objects.get(symbol="AAPL"))
    Venue.objects.filter(code="NYSE").update(taker_fee=Decimal("0.0042"))

    again = MarketSession.objects.get(pk=session.pk)
    simulator, _ = session_checkpoint(again)
    assert simulator.specs["NYSE"].taker_fee == Decimal("0.0030")


def test_demo_setup_keeps_a_supervisors_edits(demo):
    Venue.objects.filter(code="DARKX").update(min_fill=500)
    call_command("demo_setup", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Venue.objects.get(code="DARKX").min_fill == 500


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "DARKX", "min_fill": None}, "min_fill"),
        ({"code": "NYSE", "flow_share": 0.0}, "flow_share"),
    ],
)
def test_a_venue_the_market_cannot_run_is_refused_with_the_field(demo, change, field):
    venue = Venue.objects.get(code=change.pop("code"))
    for name, value in change.items():
        setattr(venue, name, value)
    with pytest.raises(ValidationError) as refused:
        venue.full_clean()
    assert field in refused.value.message_dict


def test_the_last_lit_venue_cannot_be_switched_off(demo):
    Venue.objects.filter(code__in=["NASDAQ", "BATS"]).update(active=False)
    nyse = Venue.objects.get(code="NYSE")
    nyse.active = False
    with pytest.raises(ValidationError) as refused:
        nyse.full_clean()
    assert refused.value.message_dict == {"active": ["the market needs at least one active lit venue"]}


def test_a_supervisor_changes_a_venue_in_the_admin(demo, supervisor):
    nyse = Venue.objects.get(code="NYSE")
    page = supervisor.get(f"/admin/routing/venue/{nyse.pk}/change/")
    assert page.status_code == 200
    fields = ("code", "name", "kind", "maker_fee", "flow_share", "entry_latency_us", "entry_jitter_us")
    form = {field: getattr(nyse, field) for field in (*fields, "report_latency_us", "report_jitter_us")}
    response = supervisor.post(
        f"/admin/routing/venue/{nyse.pk}/change/", {**form, "active": "on", "taker_fee": "0.0042"}
    )
    assert response.status_code == 302, response.content[:500]
    assert Venue.objects.get(code="NYSE").taker_fee == Decimal("0.0042")
