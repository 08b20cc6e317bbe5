"""Thin Celery tasks: ids in, one service call."""

from celery import shared_task

from . import services


@shared_task
def aggregation_window_run() -> None:
    services.aggregation_window_run(actor="system:aggregation-window")


@shared_task(acks_late=True)
def upload_process(upload_id: int) -> None:
    from . import upload_services

    upload_services.upload_process(upload_id=upload_id)
