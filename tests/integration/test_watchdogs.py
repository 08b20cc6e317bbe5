"""Background work whose worker or queue was lost is handed to a worker again, and ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Upload
from orders.services.uploads import uploads_watchdog
from tca.models import TcaJob
from tca.services import tca_job_run, tca_jobs_watchdog

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """The task ids the watchdogs queue again (the broker itself is not what is tested here)."""
    import orders.tasks
    import tca.tasks

    sent: list[tuple[str, int]] = []
    monkeypatch.setattr(orders.tasks.upload_process, "delay", lambda pk: sent.append(("upload", pk)))
    monkeypatch.setattr(tca.tasks.tca_job_run, "delay", lambda pk: sent.append(("tca", pk)))
    return sent


def test_a_silent_unfinished_upload_is_queued_again_once_and_a_recent_or_finished_one_is_not(users, queued):
    trader = users["trader1"]
    long_ago = timezone.now() - timedelta(minutes=10)
    lost = Upload.objects.create(uploaded_by=trader, file_name="a.csv", content=b"x", status="VALIDATING")
    recent = Upload.objects.create(uploaded_by=trader, file_name="b.csv", content=b"x", status="CREATING")
    done = Upload.objects.create(uploaded_by=trader, file_name="c.csv", content=b"x", status="DONE")
    Upload.objects.filter(pk__in=[lost.pk, done.pk]).update(updated_at=long_ago)

    assert uploads_watchdog() == [lost.pk]
    assert uploads_watchdog() == []  # its silence is answered once, not every 30 s

    assert queued == [("upload", lost.pk)]
    assert recent.pk not in dict(queued).values()


def test_a_tca_job_whose_worker_died_is_queued_again(users, queued):
    analyst = users["analyst1"]
    running = TcaJob.objects.create(kind=TcaJob.Kind.DESK, requested_by=analyst, status="RUNNING")
    TcaJob.objects.filter(pk=running.pk).update(updated_at=timezone.now() - timedelta(minutes=10))

    assert tca_jobs_watchdog() == [running.pk]
    assert queued == [("tca", running.pk)]


def test_a_tca_job_begun_three_times_ends_failed_with_its_reason(users):
    job = TcaJob.objects.create(kind=TcaJob.Kind.DESK, requested_by=users["analyst1"], status="RUNNING", attempts=3)

    tca_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.attempts, job.message) == (
        TcaJob.Status.FAILED,
        4,
        "stopped: its worker died on each of 3 attempts",
    )


def test_a_desk_report_still_runs_on_its_first_attempt(users):
    job = TcaJob.objects.create(kind=TcaJob.Kind.DESK, requested_by=users["analyst1"])

    tca_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.attempts) == (TcaJob.Status.DONE, 1)
