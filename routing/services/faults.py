"""A step that keeps raising: counted, retried a bounded number of times, then its session is
FAULTED, with its parents paused, until a supervisor resumes it.

A step is deterministic (seeded from the session and step number), so a step that raises
raises again on every redelivery: without a bound it would hold its session, and every
parent on that instrument, at that step for good. Other instruments' sessions step on.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orders.broadcasts import parent_orders_publish
from orders.models import AuditEvent, ParentStatus
from smarttrading import streams

from ..locks import parents_lock, session_lock
from ..market.clock import CLOSE_NS, to_datetime
from ..models import KillSwitch, MarketSession
from ..payloads import parent_payload, session_payload
from .controls import ControlRefused
from .parents import ENGINE, parent_paused, parent_resumed
from .sessions import session_step_enqueue_on_commit

logger = logging.getLogger(__name__)

ERROR_CHARS = 8_000  # of the traceback kept on the session (the end, where the cause is)
RETRY_DELAY_S = 1.0  # before the n-th retry: n times this


@transaction.atomic
def session_step_failed(*, session_id: int, step_no: int, error: str) -> MarketSession | None:
    """Count a raising step: retry it, or fault the session once it has raised too often.

    None when the session has moved on (a duplicate of the step got through first).
    """
    session = session_lock(session_id)
    if session.step_no != step_no or session.status != MarketSession.Status.RUNNING:
        return None
    session.failures += 1
    session.error = error[-ERROR_CHARS:]
    if session.failures < settings.SESSION_STEP_MAX_ATTEMPTS:
        session.save(update_fields=["failures", "error", "updated_at"])
        session_step_enqueue_on_commit(session.pk, step_no, delay_s=RETRY_DELAY_S * session.failures)
        return session
    session.status = MarketSession.Status.FAULTED
    session.faulted_at = timezone.now()
    session.save(update_fields=["failures", "error", "status", "faulted_at", "updated_at"])
    logger.error(
        "session %s (%s) FAULTED at step %s after %s failures; its parents are paused",
        session.pk,
        session.instrument.symbol,
        step_no,
        session.failures,
    )
    paused = _live_parents_pause(session, reason="its market session faulted")
    AuditEvent.objects.create(
        kind="session.faulted",
        actor=ENGINE,
        detail={
            "session": session.pk,
            "instrument": session.instrument.symbol,
            "step_no": step_no,
            "failures": session.failures,
            "error": session_payload(session)["error"],
            "paused_parents": [p.pk for p in paused],
        },
    )
    _publish(session, paused)
    return session


@transaction.atomic
def session_resume(*, session_id: int, actor: str) -> MarketSession:
    """Step a faulted session again (its cause fixed), and resume the parents its fault paused."""
    session = session_lock(session_id)
    if session.status != MarketSession.Status.FAULTED:
        raise ControlRefused(f"a {session.status} session cannot be resumed")
    fault = AuditEvent.objects.filter(kind="session.faulted", detail__session=session.pk).order_by("-id").first()
    session.status = MarketSession.Status.RUNNING
    session.failures = 0
    session.faulted_at = None
    session.save(update_fields=["status", "failures", "faulted_at", "updated_at"])
    resumed = []
    if fault is not None and not KillSwitch.current().engaged:
        paused = Q(pk__in=fault.detail["paused_parents"], status=ParentStatus.PAUSED, cancel_requested_at=None)
        now = to_datetime(session.trading_date, session.sim_time_ns)
        close = to_datetime(session.trading_date, CLOSE_NS)
        for parent in parents_lock(paused):
            parent_resumed(parent, now, close)
            parent.save(update_fields=["status", "end", "paused_at", "paused_reason", "updated_at"])
            resumed.append(parent)
    detail = {"session": session.pk, "instrument": session.instrument.symbol, "resumed_parents": len(resumed)}
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(kind="session.resumed", actor=actor, detail=detail),
            *(
                AuditEvent(
                    kind="parent.resumed",
                    actor=actor,
                    parent=p,
                    detail={"transition": [ParentStatus.PAUSED, p.status], "reason": "its market session resumed"},
                )
                for p in resumed
            ),
        ]
    )
    session_step_enqueue_on_commit(session.pk, session.step_no, delay_s=0)
    _publish(session, resumed)
    return session


def _live_parents_pause(session: MarketSession, *, reason: str) -> list:
    parents = parents_lock(Q(instrument=session.instrument, status__in=(ParentStatus.NEW, ParentStatus.WORKING)))
    now = to_datetime(session.trading_date, session.sim_time_ns)
    for parent in parents:
        was = parent.status
        parent.save(update_fields=[*parent_paused(parent, now, reason=reason), "updated_at"])
        AuditEvent.objects.create(
            kind="parent.paused",
            actor=ENGINE,
            parent=parent,
            detail={"transition": [was, parent.status], "reason": reason},
        )
    return parents


def _publish(session: MarketSession, parents: list) -> None:
    streams.publish_on_commit(streams.EXECUTION_GROUP, {"type": "session", "session": session_payload(session)})
    if parents:
        message = {"type": "parent", "parents": [parent_payload(p) for p in parents]}
        streams.publish_on_commit(streams.EXECUTION_GROUP, message)
        for parent in parents:
            streams.publish_on_commit(streams.parent_group(parent.pk), message)
        parent_orders_publish([p.pk for p in parents])
