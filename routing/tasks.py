"""Thin Celery tasks: ids in, one service call."""

from celery import shared_task

from . import profiles
from .services import aggregation, sessions, steps


@shared_task
def aggregation_window_run() -> None:
    aggregation.aggregation_window_run(actor="system:aggregation-window")


@shared_task(acks_late=True, reject_on_worker_lost=True)
def session_step(session_id: int, step_no: int) -> None:
    steps.session_advance(session_id=session_id, step_no=step_no)


@shared_task
def sessions_watchdog() -> None:
    sessions.sessions_watchdog()


@shared_task
def volume_profile_warm() -> None:
    """Build the VWAP volume profile's cache before the first VWAP parent needs it."""
    profiles.volume_profile()
