"""TCA jobs: desk reports over many parents and algorithm comparisons, run by the reports
worker with progress pushed to ``/ws/tca/``.

A request creates the job and, after commit, enqueues it on the ``reports`` queue, so
long work never holds up the workers that step the market.
"""

from __future__ import annotations

import functools
import logging
import pickle
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from orders.models import PARENT_FINISHED_STATUSES, AuditEvent, ParentOrder, Strategy
from routing.market.clock import NS_PER_S, to_ns
from routing.market.venues import DARK
from routing.models import Fill, MarketSession
from routing.profiles import volume_profile
from routing.replay import RECORDED, ReplayMarket, further_paths, replay_paths
from routing.selectors import parent_plan, session_checkpoint
from smarttrading import streams

from .charts import desk_charts
from .counterfactual import (
    OPEN_ALTERNATIVES_S,
    ExecutedFill,
    alternatives_for,
    cost_verdict,
    execution_figures,
    replay_figures,
    shortfall_distributions,
)
from .figures import DeskContribution, parent_figures
from .metrics import MARKOUT_HORIZONS_S
from .models import ParentTcaSummary, SavedFilters, TcaJob
from .payloads import comparison_payload, desk_payload, job_payload
from .reports import desk_report
from .selectors import CONTRIBUTION_VERSION, TcaFilters, parent_facts, parents_for, parents_to_summarize

logger = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.5  # at most this often a job writes and publishes its progress
# A running job silent this long lost its worker (a queued one this old, its queue): the
# watchdog hands it to a worker again, and a job begun MAX_ATTEMPTS times ends FAILED.
STALLED_AFTER = timedelta(seconds=settings.BACKGROUND_JOB_STALLED_S)
MAX_ATTEMPTS = 3
INTERVENTIONS = ("parent.paused", "parent.topped_up", "parent.reduced", "parent.cancel_requested")


def _stalled(job: TcaJob) -> bool:
    return job.status == TcaJob.Status.RUNNING and job.updated_at < timezone.now() - STALLED_AFTER


def tca_jobs_watchdog(*, stalled_after: timedelta = STALLED_AFTER) -> list[int]:
    """Queue again every job whose worker died (acknowledged at once, its task is gone with
    the worker) or whose queue was lost with Redis; returns their ids."""
    from .tasks import tca_job_run

    silent = TcaJob.objects.filter(
        status__in=(TcaJob.Status.QUEUED, TcaJob.Status.RUNNING), updated_at__lt=timezone.now() - stalled_after
    )
    revived = list(silent.values_list("pk", flat=True))
    for job_id in revived:
        TcaJob.objects.filter(pk=job_id).update(updated_at=timezone.now())  # one revival per silence
        tca_job_run.delay(job_id)
    if revived:
        logger.warning("TCA jobs %s were silent for %s: queued again", revived, stalled_after)
    return revived


def _enqueue_on_commit(job: TcaJob) -> None:
    from .tasks import tca_job_run

    transaction.on_commit(lambda: tca_job_run.delay(job.pk))
    streams.publish_on_commit(streams.TCA_JOBS_GROUP, {"type": "job", "job": job_payload(job)})


@transaction.atomic
def desk_report_request(*, user, filters: TcaFilters) -> TcaJob:
    """A desk report over every parent the filters select, built in the background."""
    job = TcaJob.objects.create(kind=TcaJob.Kind.DESK, requested_by=user, filters=filters.as_query())
    _enqueue_on_commit(job)
    return job


@transaction.atomic
def comparison_request(*, user, parent: ParentOrder) -> TcaJob:
    """The other algorithms replayed on the parent's market; one comparison per parent.

    A finished parent's comparison never changes, so an existing one (queued, running or
    done) is returned; a failed or stalled one is run again.
    """
    if parent.status not in PARENT_FINISHED_STATUSES or parent.start is None:
        raise ValidationError({"parent": "only a finished parent can be compared with other algorithms"})
    job = TcaJob.objects.filter(kind=TcaJob.Kind.COUNTERFACTUAL, parent=parent).select_for_update().first()
    if job is not None and job.status != TcaJob.Status.FAILED and not _stalled(job):
        return job
    if job is None:
        job = TcaJob.objects.create(kind=TcaJob.Kind.COUNTERFACTUAL, requested_by=user, parent=parent)
    else:
        job.status, job.done, job.message, job.requested_by = TcaJob.Status.QUEUED, 0, "", user
        job.save(update_fields=["status", "done", "message", "requested_by", "updated_at"])
    _enqueue_on_commit(job)
    return job


class _Progress:
    """Writes and publishes a job's progress, at most every ``PROGRESS_EVERY_S``."""

    def __init__(self, job: TcaJob) -> None:
        self.job = job
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY_S and done < total:
            return
        self.last = now
        self.save(done=done, total=total)

    def save(self, **fields) -> None:
        for name, value in fields.items():
            setattr(self.job, name, value)
        self.job.updated_at = timezone.now()
        TcaJob.objects.filter(pk=self.job.pk).update(updated_at=self.job.updated_at, **fields)
        streams.publish(streams.TCA_JOBS_GROUP, {"type": "job", "job": job_payload(self.job)})


def tca_job_run(*, job_id: int) -> TcaJob:
    """Run a queued job (a finished one is left as it is: the task may be delivered twice)."""
    TcaJob.objects.filter(pk=job_id).update(attempts=F("attempts") + 1)
    job = TcaJob.objects.select_related("parent__instrument").get(pk=job_id)
    if job.is_finished:
        return job
    progress = _Progress(job)
    if job.attempts > MAX_ATTEMPTS:
        message = f"stopped: its worker died on each of {MAX_ATTEMPTS} attempts"
        progress.save(status=TcaJob.Status.FAILED, message=message, finished_at=timezone.now())
        return job
    progress.save(status=TcaJob.Status.RUNNING, done=0)
    try:
        if job.kind == TcaJob.Kind.DESK:
            result = _desk_result(TcaFilters.from_query(job.filters), progress)
        else:
            result = _comparison_result(job.parent, progress)
    except Exception as error:
        logger.exception("TCA job %s failed", job.pk)
        progress.save(status=TcaJob.Status.FAILED, message=str(error)[:300], finished_at=timezone.now())
        return job
    count = result.get("parents", 0)
    summary = f"{count:,} parent{'' if count == 1 else 's'}" if job.kind == TcaJob.Kind.DESK else "replayed"
    progress.save(
        status=TcaJob.Status.DONE, result=result["payload"], message=summary, done=job.total, finished_at=timezone.now()
    )
    return job


def _desk_result(filters: TcaFilters, progress: Callable[[int, int], None]) -> dict:
    parents = list(parents_for(filters))
    progress(0, len(parents))
    desk = desk_report(parents, progress=progress)
    return {"parents": len(parents), "payload": {"desk": desk_payload(desk), "charts": desk_charts(desk)}}


def _comparison_result(parent: ParentOrder, progress: Callable[[int, int], None]) -> dict:
    return {"payload": parent_comparison(parent, progress=progress)}


def parent_comparison(parent: ParentOrder, *, progress: Callable[[int, int], None] | None = None) -> dict:
    """The recorded execution next to every algorithm replayed on the parent's seeded market."""
    session = parent.session
    simulator, _ = session_checkpoint(session)
    tick = parent.instrument.tick_size
    market = ReplayMarket(
        seed=session.seed,
        reference_ticks=simulator.reference_ticks,
        tick_size=tick,
        open_ns=simulator.open_ns,
        close_ns=simulator.close_ns,
        step_ns=settings.SIM_STEP_SECONDS * NS_PER_S,
        venues=tuple(simulator.specs.values()),
        incidents=simulator.incidents,
    )
    plan = replace(parent_plan(parent, session), filled=0, active=True)
    if parent.strategy == Strategy.OPEN:
        plan = replace(plan, end_ns=plan.start_ns + OPEN_ALTERNATIVES_S * NS_PER_S)
    alternatives = alternatives_for(
        parent.strategy, pov_rate=plan.pov_rate, kappa_t=plan.urgency, ends_at_close=plan.end_ns >= simulator.close_ns
    )
    needs_profile = any(a.strategy == "VWAP" for a in alternatives)
    recorded_path, *paths = replay_paths(
        market,
        plan,
        alternatives,
        [RECORDED, *further_paths(settings.COMPARISON_PATHS)],
        summarise=functools.partial(replay_figures, side=parent.side, tick=tick, as_run=False),
        profile=volume_profile() if needs_profile else None,
        progress=progress,
        workers=settings.COMPARISON_WORKERS,
    )
    replayed = [replace(figures, as_run=i == 0) for i, figures in enumerate(recorded_path)]
    distributions = shortfall_distributions([(a.label, a.strategy) for a in alternatives], paths)
    return comparison_payload(
        parent,
        recorded=_recorded_figures(parent, session, dark={c for c, v in simulator.specs.items() if v.kind == DARK}),
        replayed=replayed,
        distributions=distributions,
        verdict=cost_verdict(distributions),
        caveats=_caveats(parent, session),
    )


def _recorded_figures(parent: ParentOrder, session: MarketSession, *, dark: set[str]):
    """The recorded execution measured as the replays are: the same fills that make its report."""
    facts = parent_facts(parent)
    report = parent_figures(facts)
    start_ns = to_ns(session.trading_date, parent.start)
    fills = [
        ExecutedFill(to_ns(session.trading_date, f.time) - start_ns, f.quantity, f.price, f.fee, f.venue in dark)
        for f in facts.fills
    ]
    return execution_figures(
        label="Executed (recorded)",
        strategy=parent.strategy,
        as_run=True,
        side=parent.side,
        quantity=parent.market_quantity,
        fills=fills,
        arrival=parent.arrival_price,
        end_price=report.end_price,
        interval_vwap=report.benchmarks["interval_vwap"],
        market_volume=report.market_volume,
        children=len(facts.children),
    )


def _caveats(parent: ParentOrder, session: MarketSession) -> list[str]:
    """Why the replay of the parent's own algorithm may differ from what was recorded."""
    caveats = []
    if parent.strategy == Strategy.OPEN:
        caveats.append(
            "an order at the open has no window: the algorithms are replayed over the "
            f"{OPEN_ALTERNATIVES_S // 60} minutes after the open, as if it had been worked instead of the auction"
        )
    others = Fill.objects.filter(session=session).exclude(parent=parent)
    before = others.filter(sim_time__lt=parent.start).values("parent").distinct().count()
    alongside = others.filter(sim_time__gte=parent.start, sim_time__lte=parent.end).values("parent").distinct().count()
    if before:
        caveats.append(
            f"{before} other parent(s) traded {parent.instrument.symbol} earlier that day: "
            "their impact is in the recorded market, not in the replay"
        )
    if alongside:
        caveats.append(f"{alongside} other parent(s) traded alongside this one: the replay runs it alone")
    kinds = sorted(set(AuditEvent.objects.filter(parent=parent, kind__in=INTERVENTIONS).values_list("kind", flat=True)))
    if kinds:
        caveats.append(
            "the recorded execution was changed while it ran ("
            + ", ".join(k.removeprefix("parent.").replace("_", " ") for k in kinds)
            + "): the replay runs the final quantity from the start, uninterrupted"
        )
    return caveats


SUMMARIES_PER_RUN = 200  # one run's share of a backlog: the next beat tick takes the rest


def _settled(parent: ParentOrder) -> bool:
    """Its market has run past the last mark-out of its last fill (or closed): its figures are final."""
    session = parent.session
    if session is None or parent.finished is None or session.status != MarketSession.Status.RUNNING:
        return True
    last_markout_ns = to_ns(session.trading_date, parent.finished) + max(MARKOUT_HORIZONS_S) * NS_PER_S
    return session.sim_time_ns >= last_markout_ns


def parent_contributions_keep(*, limit: int = SUMMARIES_PER_RUN) -> int:
    """Compute and keep the desk contribution of finished parents that lack a current one;
    how many were kept. Each is written with the parent's ``updated_at`` as read, so a parent
    written meanwhile (a late fill before it closed) is simply taken again next time."""
    kept = 0
    for parent in parents_to_summarize(limit):
        if not _settled(parent):
            continue
        report = parent_figures(parent_facts(parent))
        if not report.complete:  # its benchmarks may still move: nothing to keep yet
            continue
        ParentTcaSummary.objects.update_or_create(
            parent=parent,
            defaults={
                "parent_updated_at": parent.updated_at,
                "version": CONTRIBUTION_VERSION,
                "contribution": pickle.dumps(DeskContribution.of(report), protocol=pickle.HIGHEST_PROTOCOL),
            },
        )
        kept += 1
    return kept


def saved_filters_save(*, owner, name: str, filters: TcaFilters) -> SavedFilters:
    """Keep ``filters`` under ``name`` for ``owner``; a name already used is saved over."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "give the set a name"})
    if len(name) > 60:
        raise ValidationError({"name": "at most 60 characters"})
    saved, _ = SavedFilters.objects.update_or_create(owner=owner, name=name, defaults={"filters": filters.as_query()})
    return saved


def saved_filters_delete(*, owner, saved_id: int) -> None:
    SavedFilters.objects.filter(owner=owner, pk=saved_id).delete()
