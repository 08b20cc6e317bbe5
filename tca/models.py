"""TCA work too long for a request: desk reports over many parents and counterfactual replays."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from orders.models import ParentOrder


class TcaJob(models.Model):
    """One piece of TCA work run by the reports worker, with progress and its result."""

    class Kind(models.TextChoices):
        DESK = "DESK", "Desk report"
        COUNTERFACTUAL = "COUNTERFACTUAL", "Algorithm comparison"

    class Status(models.TextChoices):
        QUEUED = "QUEUED"
        RUNNING = "RUNNING"
        DONE = "DONE"
        FAILED = "FAILED"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tca_jobs")
    parent = models.ForeignKey(
        ParentOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="tca_jobs", help_text="Comparison"
    )
    filters = models.JSONField(default=dict, blank=True, help_text="Desk report: the TCA filters, as a query")
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    result = models.JSONField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker began it")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["parent", "kind", "-id"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.DONE else (100 * self.done // self.total if self.total else 0)


class ParentTcaSummary(models.Model):
    """A finished parent's contribution to desk reports (``tca.figures.DeskContribution``),
    kept by the reports worker so the TCA index and desk reports add up stored figures instead
    of reading every fill again. Current while ``parent_updated_at`` is the parent's."""

    parent = models.OneToOneField(ParentOrder, primary_key=True, on_delete=models.CASCADE, related_name="tca_summary")
    parent_updated_at = models.DateTimeField(help_text="The parent's last write when this was computed")
    version = models.PositiveSmallIntegerField(help_text="The shape of the figures it holds")
    contribution = models.BinaryField(help_text="The pickled DeskContribution")
    computed_at = models.DateTimeField(auto_now=True)


class SavedFilters(models.Model):
    """An analyst's named set of TCA filters, one click from the TCA page."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tca_saved_filters")
    name = models.CharField(max_length=60)
    filters = models.JSONField(help_text="The filters as a query: date_from, date_to, instrument, algorithm, trader")
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="one_saved_filters_name_per_owner")]

    def __str__(self) -> str:
        return self.name
