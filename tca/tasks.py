"""Thin Celery tasks: ids in, one service call. They run on the ``reports`` queue."""

from celery import shared_task

from . import services


@shared_task(acks_late=False)  # acknowledged at once: a job can outlast the broker's visibility timeout
def tca_job_run(job_id: int) -> None:
    services.tca_job_run(job_id=job_id)


@shared_task
def tca_jobs_watchdog() -> None:
    services.tca_jobs_watchdog()


@shared_task
def parent_contributions_keep() -> None:
    services.parent_contributions_keep()
