"""Thin Celery tasks: ids in, one service call."""

from celery import shared_task
from django.db import OperationalError

from .services import uploads


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=2, max_retries=uploads.MAX_ATTEMPTS)
def upload_process(upload_id: int) -> None:
    uploads.upload_process(upload_id=upload_id)


@shared_task
def uploads_watchdog() -> None:
    uploads.uploads_watchdog()
