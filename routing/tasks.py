"""Thin Celery tasks: ids in, one service call."""

import logging
import traceback

from celery import shared_task
from django.db import DatabaseError

from . import profiles
from .services import aggregation, faults, sessions, steps

logger = logging.getLogger(__name__)


@shared_task
def aggregation_window_run() -> None:
    aggregation.aggregation_window_run(actor="system:aggregation-window")


@shared_task(acks_late=True, reject_on_worker_lost=True)
def session_step(session_id: int, step_no: int) -> None:
    try:
        steps.session_advance(session_id=session_id, step_no=step_no)
    except DatabaseError:
        raise  # the database could not serve it: nothing was written, the watchdog steps it again
    except Exception:
        logger.exception("step %s of session %s raised", step_no, session_id)
        faults.session_step_failed(session_id=session_id, step_no=step_no, error=traceback.format_exc())


@shared_task
def sessions_watchdog() -> None:
    sessions.sessions_watchdog()


@shared_task
def sessions_keep_time() -> None:
    sessions.sessions_keep_time()


@shared_task
def volume_profile_warm() -> None:
    """Build the VWAP volume profile's cache before the first VWAP parent needs it."""
    profiles.volume_profile()
