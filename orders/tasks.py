"""Thin Celery tasks: ids in, one service call."""

from celery import shared_task

from .services import uploads


@shared_task(acks_late=True)
def upload_process(upload_id: int) -> None:
    uploads.upload_process(upload_id=upload_id)
