"""The Celery application shared by the worker, beat and the web process."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarttrading.settings")

app = Celery("smarttrading")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _warm_caches(sender, **kwargs):
    """A fresh machine builds the VWAP volume profile (seconds of simulation) in the background."""
    if sender.hostname.startswith("reports@"):  # the market workers warm it; one build is enough
        return
    sender.app.send_task("routing.tasks.volume_profile_warm")
