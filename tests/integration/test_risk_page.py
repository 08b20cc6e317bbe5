"""Supervisors read and set accounts' risk limits on a page: validated as the API does, audited."""

import pytest

from orders.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_supervisor_sets_an_accounts_limits_on_the_page_and_it_is_audited(supervisor, trader1):
    # given the risk page, with every account on the desk defaults
    page = supervisor.get("/orders/risk/")
    assert page.status_code == 200 and trader1.get("/orders/risk/").status_code == 403
    html = page.content.decode()
    assert 'data-account="T1-GROWTH"' in html and 'data-account="T2-MACRO"' in html and "desk default" in html

    # when a bad value is posted, then it is refused with the field's reason and nothing changes
    form = {"account": "T1-GROWTH", "max_order_quantity": "-5", "collar_pct": "10", "restricted_instruments": ["XOM"]}
    refused = supervisor.post("/orders/risk/", form)
    assert refused.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in refused.content.decode()
    assert not AuditEvent.objects.filter(kind="risk_limits.changed").exists()

    # and a good one is saved: empty fields switch their check off, the change is audited
    saved = supervisor.post("/orders/risk/", {**form, "max_order_quantity": "25000"}, follow=True)
    assert "Risk limits of T1-GROWTH saved (audited)" in saved.content.decode()
    limits = supervisor.get("/api/v1/accounts/T1-GROWTH/risk-limits/").json()
    assert (limits["source"], limits["max_order_quantity"], limits["collar_pct"]) == ("account", 25_000, "10.000")
    assert (limits["max_order_notional"], limits["restricted_instruments"]) == (None, ["XOM"])
    (event,) = AuditEvent.objects.filter(kind="risk_limits.changed")
    assert event.actor == "user:supervisor1" and event.detail["before"]["source"] == "desk default"
    # and the page shows it, with the edit form a click away
    assert "25,000" in supervisor.get("/orders/risk/").content.decode()
    assert 'name="max_order_quantity"' in supervisor.get("/orders/risk/?edit=T1-GROWTH").content.decode()
