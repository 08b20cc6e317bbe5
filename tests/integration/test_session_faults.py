"""No step jams a session: a step that keeps raising is retried a bounded number of times, then
its session is FAULTED (parents paused, error kept, audited, shown), the other instruments
trade on, and a supervisor resumes it once the cause is fixed."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from orders.models import AuditEvent, ParentOrder, ParentStatus, Source
from orders.services.intake import order_create
from routing.models import MarketSession
from routing.services.aggregation import aggregation_window_run
from routing.services.faults import session_resume
from routing.services.steps import session_advance
from routing.tasks import session_step
from tests.integration.test_crash_safety import DONE, FAST_REDELIVERY, assert_reconciled, wait_until
from tests.processes import start_worker, stop


def parents_on(*symbols, quantity=2_000):
    trader = User.objects.get(username="trader1")
    for symbol in symbols:
        order_create(
            submitted_by=trader,
            account="T1-GROWTH",
            instrument=symbol,
            side="BUY",
            quantity=quantity,
            client_order_id=f"FAULT-{symbol}",
            source=Source.API,
            urgency="HIGH",
        )
    return {p.instrument.symbol: p for p in aggregation_window_run(actor="test")}


def session_of(symbol) -> MarketSession:
    return MarketSession.objects.get(instrument__symbol=symbol)


def step_task(session: MarketSession) -> MarketSession:
    """The step task's body, here: the broker's redeliveries are the calls that follow."""
    session.refresh_from_db()
    session_step(session.pk, session.step_no)
    session.refresh_from_db()
    return session


@pytest.mark.django_db
def test_a_step_that_keeps_raising_faults_its_session_and_nothing_else(demo, supervisor, settings):
    # given: a working parent on XOM and one on JPM, and every XOM step raises
    parents = parents_on("XOM", "JPM")
    settings.FAULT_STEP_RAISE = "XOM"

    # when: the XOM step is tried, and retried
    xom = session_of("XOM")
    tries = []
    for _ in range(2):
        xom = step_task(xom)
        tries.append((xom.status, xom.failures))
    assert tries == [("RUNNING", 1), ("RUNNING", 2)]
    xom = step_task(xom)

    # then: the third failure faults the session, pauses its parent and keeps the error
    assert (xom.status, xom.failures, xom.step_no) == ("FAULTED", 3, 0)
    assert "RuntimeError: fault injection: every step of XOM raises" in xom.error
    assert "Traceback" in xom.error
    assert ParentOrder.objects.get(pk=parents["XOM"].pk).status == ParentStatus.PAUSED
    fault = AuditEvent.objects.get(kind="session.faulted")
    assert fault.detail["paused_parents"] == [parents["XOM"].pk]
    assert fault.detail["error"] == "RuntimeError: fault injection: every step of XOM raises"
    (listed,) = [s for s in supervisor.get("/api/v1/sessions/").json() if s["instrument"] == "XOM"]
    assert (listed["status"], listed["failures"]) == ("FAULTED", 3)
    assert listed["error"] == "RuntimeError: fault injection: every step of XOM raises"

    # and JPM steps on
    jpm = session_of("JPM")
    step_task(jpm)
    jpm.refresh_from_db()
    assert (jpm.status, jpm.step_no, jpm.failures) == ("RUNNING", 1, 0)

    # and a faulted session takes no step, whoever sends one
    assert step_task(xom).step_no == 0
    assert AuditEvent.objects.filter(kind="session.faulted").count() == 1


@pytest.mark.django_db
def test_a_supervisor_resumes_a_faulted_session_once_its_cause_is_fixed(demo, supervisor, settings):
    parents = parents_on("XOM")
    settings.FAULT_STEP_RAISE = "XOM"
    xom = session_of("XOM")
    for _ in range(3):
        xom = step_task(xom)
    assert xom.status == "FAULTED"

    # when: the cause is fixed and a supervisor resumes the session
    settings.FAULT_STEP_RAISE = ""
    response = supervisor.post(f"/api/v1/sessions/{xom.pk}/resume/")

    # then: it steps again, its parent works again, and it finishes
    assert response.status_code == 200 and response.json()["status"] == "RUNNING"
    parent = ParentOrder.objects.get(pk=parents["XOM"].pk)
    assert parent.status == ParentStatus.NEW  # it never started: the first step faulted
    kinds = list(AuditEvent.objects.filter(kind__in=["session.resumed", "parent.resumed"]).values_list("kind", "actor"))
    assert kinds == [("session.resumed", "user:supervisor1"), ("parent.resumed", "user:supervisor1")]
    for _ in range(400):
        xom.refresh_from_db()
        if xom.status != MarketSession.Status.RUNNING:
            break
        session_advance(session_id=xom.pk, step_no=xom.step_no)
    parent.refresh_from_db()
    assert parent.status == ParentStatus.FILLED
    assert (xom.failures, xom.error) == (0, "")

    # and a session that is not faulted is not resumed
    again = supervisor.post(f"/api/v1/sessions/{xom.pk}/resume/")
    assert again.status_code == 409
    assert again.json() == {"detail": f"a {xom.status} session cannot be resumed"}


@pytest.mark.django_db
def test_only_supervisors_see_and_resume_sessions(demo, trader1, analyst):
    for client in (trader1, analyst):
        assert client.get("/api/v1/sessions/").status_code == 403
        assert client.post("/api/v1/sessions/1/resume/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_on_real_workers_a_faulted_instrument_waits_for_a_fix_and_the_others_finish(demo, redis_server):
    # given: parents on XOM and JPM, and a worker whose every XOM step raises
    parents = parents_on("XOM", "JPM", quantity=3_000)
    log = open(Path(settings.VAR_DIR) / "faulted-session.log", "w")  # noqa: SIM115
    broken = start_worker(log, name="broken", SMARTTRADING_FAULT_STEP_RAISE="XOM", **FAST_REDELIVERY)
    fixed = None
    try:
        # then: XOM faults after its retries while JPM trades to the end
        wait_until(lambda: session_of("XOM").status == "FAULTED", 60, "the XOM session to fault")
        wait_until(lambda: ParentOrder.objects.get(pk=parents["JPM"].pk).status in DONE, 120, "JPM to finish")
        assert ParentOrder.objects.get(pk=parents["XOM"].pk).status == ParentStatus.PAUSED

        # when: the fix is deployed (a worker without the fault) and a supervisor resumes XOM
        stop([broken])
        fixed = start_worker(log, name="fixed", **FAST_REDELIVERY)
        session_resume(session_id=session_of("XOM").pk, actor="user:supervisor1")

        # then: XOM finishes too, every fill written once and allocated
        wait_until(lambda: ParentOrder.objects.get(pk=parents["XOM"].pk).status in DONE, 120, "XOM to finish")
    finally:
        stop([p for p in (broken, fixed) if p is not None])
        log.close()
        redis_server.flushdb()
    assert ParentOrder.objects.get(pk=parents["XOM"].pk).status == ParentStatus.FILLED
    assert_reconciled()


@pytest.mark.django_db
@pytest.mark.parametrize("symbol", ["MSFT", "JPM", "SPY"])
def test_a_hundred_share_urgent_shortfall_order_trades_instead_of_freezing_its_instrument(demo, symbol):
    # Its schedule once raised "risk aversion cannot be negative" on every step.
    parent = parents_on(symbol, quantity=100)[symbol]
    assert parent.strategy == "IS" and parent.urgency == "HIGH"
    session = session_of(symbol)
    for _ in range(200):
        session = step_task(session)
        if session.status != MarketSession.Status.RUNNING:
            break
    parent.refresh_from_db()
    assert (parent.status, parent.filled_quantity, session.failures) == (ParentStatus.FILLED, 100, 0)
