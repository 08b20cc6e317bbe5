"""Supervisors' controls: pause, resume and cancel a parent; the kill switch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orders.broadcasts import parent_orders_publish
from orders.models import PARENT_LIVE_STATUSES, AuditEvent, Instrument, ParentOrder, ParentStatus
from smarttrading import streams

from ..locks import parent_lock, parents_lock
from ..market.clock import EXCHANGE_TZ
from ..models import KillSwitch
from ..payloads import parent_payload
from .parents import parent_close, parent_paused, parent_resumed
from .sessions import MarketNow, market_now_lock, session_wake

# Why a parent is paused, as its orders' owners read it on their blotters.
PAUSED_BY_SUPERVISOR = "paused by a supervisor"
CANCELLED_BY_SUPERVISOR = "being cancelled by a supervisor"
KILL_SWITCH = "kill switch engaged"


class ControlRefused(Exception):
    """A supervisor action that does not apply to the parent as it stands; the message says why."""


def _parent_for_control(parent_id: int) -> tuple[ParentOrder, MarketNow]:
    """Lock the parent's session, then the parent: the order steps take locks in."""
    instrument = ParentOrder.objects.select_related("instrument").get(pk=parent_id).instrument
    market = market_now_lock(instruments=[instrument])[instrument.pk]
    return parent_lock(parent_id), market


def _control_audit(kind: str, parent: ParentOrder, actor: str, market: MarketNow, **detail) -> None:
    AuditEvent.objects.create(kind=kind, actor=actor, parent=parent, sim_time=market.now, detail=detail)
    message = {"type": "parent", "parents": [parent_payload(parent)]}
    streams.publish_on_commit(streams.EXECUTION_GROUP, message)
    streams.publish_on_commit(streams.parent_group(parent.pk), message)
    parent_orders_publish([parent.pk])


@transaction.atomic
def parent_pause(*, parent_id: int, actor: str) -> ParentOrder:
    """Stop sending children; the next step cancels the working ones at their venues."""
    parent, market = _parent_for_control(parent_id)
    if parent.status not in (ParentStatus.NEW, ParentStatus.WORKING):
        raise ControlRefused(f"a {parent.status} parent cannot be paused")
    was = parent.status
    parent.save(update_fields=[*parent_paused(parent, market.now, reason=PAUSED_BY_SUPERVISOR), "updated_at"])
    _control_audit("parent.paused", parent, actor, market, transition=[was, parent.status])
    return parent


@transaction.atomic
def parent_resume(*, parent_id: int, actor: str, end_time: time | None = None) -> ParentOrder:
    """Work again: what is left is rescheduled over the time that is left. The end moves on by
    the time it was paused, or to ``end_time`` (exchange time) when the supervisor names one."""
    parent, market = _parent_for_control(parent_id)
    if parent.status != ParentStatus.PAUSED or parent.cancel_requested_at is not None:
        raise ControlRefused(f"a {parent.status} parent cannot be resumed")
    if KillSwitch.current().engaged:
        raise ControlRefused("the kill switch is engaged; a supervisor must release it first")
    end = None
    if end_time is not None:
        end = datetime.combine(market.now.astimezone(EXCHANGE_TZ).date(), end_time, tzinfo=EXCHANGE_TZ)
        if not market.now < end <= market.close:
            raise ControlRefused(
                f"the new end time must be after the market's time {market.now.astimezone(EXCHANGE_TZ):%H:%M:%S} "
                f"and not past the close {market.close.astimezone(EXCHANGE_TZ):%H:%M}"
            )
    detail = parent_resumed(parent, market.now, market.close, end=end)
    parent.save(update_fields=["status", "end", "paused_at", "paused_reason", "updated_at"])
    _control_audit("parent.resumed", parent, actor, market, **detail)
    session_wake(instrument=parent.instrument)
    return parent


@transaction.atomic
def parent_cancel(*, parent_id: int, actor: str) -> ParentOrder:
    """Cancel a parent: its children are cancelled at their venues by the next step, then it
    closes (late fills that crossed the cancels are still recorded and allocated)."""
    parent, market = _parent_for_control(parent_id)
    if parent.status not in PARENT_LIVE_STATUSES:
        raise ControlRefused(f"a {parent.status} parent cannot be cancelled")
    if parent.cancel_requested_at is not None:
        return parent
    parent.cancel_requested_at = timezone.now()
    if parent.start is None:  # never reached the market: nothing to cancel there
        parent.save(update_fields=["cancel_requested_at", "updated_at"])
        parent_close(parent=parent, status=ParentStatus.CANCELLED, actor=actor, reason="cancelled by supervisor")
        message = {"type": "parent", "parents": [parent_payload(parent)]}
        streams.publish_on_commit(streams.EXECUTION_GROUP, message)
        streams.publish_on_commit(streams.parent_group(parent.pk), message)
    else:
        was = parent.status
        parent.status, parent.paused_reason = ParentStatus.PAUSED, CANCELLED_BY_SUPERVISOR
        parent.save(update_fields=["status", "paused_reason", "cancel_requested_at", "updated_at"])
        _control_audit("parent.cancel_requested", parent, actor, market, transition=[was, parent.status])
        session_wake(instrument=parent.instrument)
    return parent


BULK_CONTROLS = {"pause": parent_pause, "resume": parent_resume, "cancel": parent_cancel}
# The parents "all" means for each action: those it applies to
BULK_ALL = {
    "pause": Q(status__in=(ParentStatus.NEW, ParentStatus.WORKING), cancel_requested_at__isnull=True),
    "resume": Q(status=ParentStatus.PAUSED, cancel_requested_at__isnull=True),
    "cancel": Q(status__in=PARENT_LIVE_STATUSES, cancel_requested_at__isnull=True),
}


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    applied: list[ParentOrder]
    refused: list[tuple[int, str]]  # parent id, why the action did not apply to it


def parents_control_bulk(*, action: str, actor: str, parent_ids: Sequence[int] | None = None) -> BulkOutcome:
    """One supervisor action on many parents (``None``: every parent it applies to now), each
    in a transaction of its own, in id order: one it does not apply to is refused with the
    reason, and the others stand, as the same actions one by one would."""
    control = BULK_CONTROLS[action]
    if parent_ids is None:
        parent_ids = ParentOrder.objects.filter(BULK_ALL[action]).values_list("pk", flat=True)
    applied, refused = [], []
    for parent_id in sorted(set(parent_ids)):
        try:
            applied.append(control(parent_id=parent_id, actor=actor))
        except ControlRefused as why:
            refused.append((parent_id, str(why)))
        except ParentOrder.DoesNotExist:
            refused.append((parent_id, "no such parent"))
    return BulkOutcome(applied, refused)


@transaction.atomic
def kill_switch_set(*, engaged: bool, actor: str, reason: str = "") -> KillSwitch:
    """Engaged: no new order is accepted and every live parent pauses, so the next step of
    every session cancels all working children. Released: orders flow again; paused
    parents stay paused until a supervisor resumes them."""
    switch = KillSwitch.objects.select_for_update().get(pk=KillSwitch.current().pk)
    if switch.engaged == engaged:
        return switch
    switch.engaged, switch.changed_by, switch.changed_at, switch.reason = engaged, actor, timezone.now(), reason
    switch.save()
    AuditEvent.objects.create(
        kind="kill_switch.engaged" if engaged else "kill_switch.released", actor=actor, detail={"reason": reason}
    )
    if engaged:
        instruments = Instrument.objects.filter(parents__status__in=PARENT_LIVE_STATUSES).distinct()
        markets = market_now_lock(instruments=instruments)
        paused, audit = parents_lock(Q(status__in=(ParentStatus.NEW, ParentStatus.WORKING))), []
        for parent in paused:  # one write for them all: every session is locked meanwhile
            now = markets[parent.instrument_id].now
            audit.append(
                AuditEvent(
                    kind="parent.paused",
                    actor=actor,
                    parent=parent,
                    sim_time=now,
                    detail={"transition": [parent.status, ParentStatus.PAUSED], "reason": "kill switch"},
                )
            )
            parent_paused(parent, now, reason=KILL_SWITCH)
            parent.updated_at = switch.changed_at  # bulk_update leaves auto_now fields alone
        ParentOrder.objects.bulk_update(paused, ["status", "paused_at", "paused_reason", "updated_at"])
        AuditEvent.objects.bulk_create(audit)
        if paused:
            message = {"type": "parent", "parents": [parent_payload(p) for p in paused]}
            streams.publish_on_commit(streams.EXECUTION_GROUP, message)
            for parent in paused:
                streams.publish_on_commit(streams.parent_group(parent.pk), message)
            parent_orders_publish([p.pk for p in paused])
        for market in markets.values():
            session_wake(instrument=market.session.instrument)
    streams.publish_on_commit(
        streams.EXECUTION_GROUP, {"type": "kill_switch", "engaged": engaged, "by": actor, "reason": reason}
    )
    return switch
