"""The gateway's services without the engine: a run of NewOrderSingles stored with what they
did, rejects that name the message they answer, and the outbox read by primary key."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from gateway import services
from gateway.models import FixMessage, FixSession, ReportDelivery
from gateway.translate import SOH
from orders.models import ExecutionReport, Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def oms(demo) -> FixSession:
    call_command("fix_demo_setup", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return FixSession.objects.get(kind=FixSession.Kind.OMS)


def new_order(session: FixSession, seq: int, cl_ord_id: str, account: str) -> services.Inbound:
    fields = [(8, session.begin_string), (35, "D"), (34, seq), (11, cl_ord_id), (1, account), (21, "1")]
    fields += [(55, "XOM"), (54, "1"), (60, "20261202-14:30:00.000"), (38, "100"), (40, "1"), (59, "0")]
    return services.Inbound(session_key=session.key, raw=SOH.join(f"{t}={v}" for t, v in fields) + SOH)


def test_a_run_of_orders_is_stored_in_arrival_order_and_each_reject_names_its_message(oms):
    # Given a run of three: a good order, one for an account the session may not trade, a repeat
    run = [
        new_order(oms, 7, "OMS-A", "T1-GROWTH"),
        new_order(oms, 8, "OMS-B", "T2-MACRO"),
        new_order(oms, 9, "OMS-A", "T1-GROWTH"),
    ]
    # When the gateway hands it to the services
    replies = services.new_orders_handle(oms, run)
    # Then the three are stored in arrival order, the good one with its order
    stored = list(FixMessage.objects.filter(session=oms, direction="IN").order_by("id"))
    assert [(m.seq_num, m.cl_ord_id) for m in stored] == [(7, "OMS-A"), (8, "OMS-B"), (9, "OMS-A")]
    order = Order.objects.get(client_order_id="OMS-A")
    assert [m.order_id for m in stored] == [order.pk, None, order.pk]
    # and the two rejects go back now, each with the ExecID of the message it answers
    assert [(message.pk, dict(fields)[17]) for message, (_, fields) in replies] == [
        (stored[1].pk, f"R{stored[1].pk}"),
        (stored[2].pk, f"R{stored[2].pk}"),
    ]
    texts = [dict(fields)[58] for _, (_, fields) in replies]
    assert texts == [
        "account T2-MACRO may not be traded on this session",
        f"duplicate ClOrdID OMS-A: it is order {order.pk}",
    ]
    assert services.inbound_seq(session=oms) == 9


def test_the_outbox_reads_past_its_cursor_and_in_its_holes_what_is_the_sessions_and_not_delivered(oms):
    # Given two orders over FIX and one from the browser on the session's accounts
    services.new_orders_handle(oms, [new_order(oms, 1, "OMS-1", "T1-GROWTH"), new_order(oms, 2, "OMS-2", "T1-INCOME")])
    first, second = ExecutionReport.objects.filter(order__source="FIX").order_by("id")
    accounts = services.session_account_ids(session=oms)
    # When the outbox is read from before both, the second already delivered
    ReportDelivery.objects.create(session=oms, report_id=second.pk, confirmed=True)
    read = services.reports_read(oms, account_ids=accounts, after=first.pk - 1, holes=[])
    # Then only the first is due, and the read saw both ids and was not cut
    assert [r.exec_id for r in read.due] == [str(first.pk)]
    assert (read.ids, read.complete) == ([first.pk, second.pk], True)
    # When the first is read again as a hole, with nothing past the cursor
    again = services.reports_read(oms, account_ids=accounts, after=second.pk, holes=[(first.pk, first.pk)])
    # Then it is found and still due (it was not delivered), and nothing else is
    assert (again.ids, again.holes_found, [r.exec_id for r in again.due]) == ([], [first.pk], [str(first.pk)])
    # And a read cut at its limit says so
    assert services.reports_read(oms, account_ids=accounts, after=first.pk - 1, holes=[], limit=1).complete is False
