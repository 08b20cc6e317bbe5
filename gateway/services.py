"""What the FIX gateway does with the database: store inbound messages, turn them into
orders, cancels, amends and status answers through the same services as every channel, and
track which execution report went out on which session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orders.domain.lifecycle import FINISHED
from orders.models import ExecutionReport, Order, Source
from orders.services.intake import orders_submit
from routing.services.cancels import order_cancel
from routing.services.replaces import UNCHANGED, order_replace

from . import translate
from .models import FixMessage, FixSession, ReportDelivery
from .translate import ORD_STATUS, Refused, ReportView

APPLICATION_TYPES = ("D", "F", "G", "H")
INSTRUCTIONS = ("start_time", "end_time", "max_participation", "aggressiveness", "exclude_venues")


def shown(raw: str) -> str:
    return raw.replace(translate.SOH, "|")


@dataclass(frozen=True)
class Inbound:
    """An application message as the engine handed it over: in memory until a handler stores it."""

    session_key: str
    raw: str  # SOH-separated, as on the wire

    @cached_property
    def fields(self) -> dict[int, str]:
        return dict(reversed(translate.parse(self.raw)))  # a repeated tag: the first value wins

    @property
    def msg_type(self) -> str:
        return self.fields.get(35, "")

    @property
    def seq_num(self) -> int:
        return int(self.fields.get(34, 0))


def _stored(session: FixSession, message: Inbound, order_id: int | None = None) -> FixMessage:
    return FixMessage(
        session=session,
        direction=FixMessage.Direction.IN,
        msg_type=message.msg_type,
        seq_num=message.seq_num,
        cl_ord_id=message.fields.get(11, "")[:64],
        order_id=order_id,
        raw=shown(message.raw),
    )


def _inbound_seq_advance(session: FixSession, messages: list[Inbound]) -> None:
    """Stored with what they did: the gateway's restart asks the client to resend after it."""
    FixSession.objects.filter(pk=session.pk).update(inbound_seq=messages[-1].seq_num)


def inbound_sequence_reset(*, session: FixSession) -> None:
    """The client logged on with its sequence numbers reset: nothing before counts."""
    FixSession.objects.filter(pk=session.pk).update(inbound_seq=0)


def inbound_seq(*, session: FixSession) -> int:
    return FixSession.objects.values_list("inbound_seq", flat=True).get(pk=session.pk)


@transaction.atomic
def inbound_handle(session: FixSession, message: Inbound) -> list[tuple[FixMessage, tuple[str, list]]]:
    """Store and act on one cancel, replace or status request; the replies to send now
    (rejects and status answers; what it changed goes out from the outbox as execution
    reports), each with the message it answers."""
    stored = _stored(session, message)
    stored.save()
    handler = {"F": _cancel, "G": _replace, "H": _status}[message.msg_type]
    replies = handler(session, stored, message.fields)
    if stored.order_id is not None:
        stored.save(update_fields=["order"])
    _inbound_seq_advance(session, [message])
    return [(stored, reply) for reply in replies]


@transaction.atomic
def new_orders_handle(session: FixSession, messages: list[Inbound]) -> list[tuple[FixMessage, tuple[str, list]]]:
    """A run of NewOrderSingles of one session through intake as one batch (as an upload is),
    stored with the orders they made; the rejects to send now, each with the message it
    answers. The New (or risk-Rejected) reports of the orders go out from the outbox."""
    entitled = set(session.accounts.values_list("code", flat=True))
    refusals: dict[int, str] = {}  # by the message's index
    rows, row_indexes = [], []
    for index, message in enumerate(messages):
        fields = message.fields
        account = fields.get(1, "")
        try:
            if account not in entitled:
                raise Refused(f"account {account or '(none)'} may not be traded on this session")
            terms = translate.order_terms(fields)
        except Refused as refused:
            refusals[index] = str(refused)
            continue
        rows.append({**terms, "client_order_id": fields.get(11, ""), "account": account})
        row_indexes.append(index)
    order_ids: dict[int, int] = {}
    if rows:
        submission = orders_submit(submitted_by=session.trader, rows=rows, source=Source.FIX, all_or_nothing=False)
        for problem in submission.problems:
            refusals[row_indexes[problem.index]] = "; ".join(f"{e.column}: {e.reason}" for e in problem.errors)
        for row_index, accepted in submission.accepted:
            index = row_indexes[row_index]
            order_ids[index] = accepted.order_id
            if not accepted.created and messages[index].fields.get(97) != "Y":  # a PossResend repeat is no second order
                refusals[index] = f"duplicate ClOrdID {accepted.client_order_id}: it is order {accepted.order_id}"
    stored = FixMessage.objects.bulk_create(
        [_stored(session, message, order_ids.get(index)) for index, message in enumerate(messages)]
    )
    _inbound_seq_advance(session, messages)
    return [
        (stored[index], _new_order_reject(session, stored[index], messages[index].fields)(text))
        for index, text in sorted(refusals.items())
    ]


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
    return "; ".join(exc.messages)


def _session_order(session: FixSession, fields, tag: int) -> Order | None:
    query = Q(account__in=session.accounts.all(), client_order_id=fields.get(tag, ""))
    if fields.get(1):
        query &= Q(account__code=fields[1])
    return Order.objects.filter(query).select_related("account", "instrument").first()


def _new_order_reject(session: FixSession, message: FixMessage, fields):
    def reject(text: str):
        return translate.order_reject(
            cl_ord_id=fields.get(11, ""),
            text=text,
            begin_string=session.begin_string,
            exec_id=f"R{message.pk}",
            at=timezone.now(),
            fields=fields,
        )

    return reject


def _cancel(session: FixSession, message: FixMessage, fields) -> list:
    order = _session_order(session, fields, 41)
    refuse = _cancel_reject(fields, order, replace=False)
    if order is None:
        return [refuse("unknown order")]
    message.order = order
    try:
        order_cancel(order_id=order.pk, cancelled_by=session.trader, cancel_client_order_id=fields.get(11, ""))
    except ValidationError as refused:
        return [refuse(_errors(refused))]
    return []


def _replace(session: FixSession, message: FixMessage, fields) -> list:
    order = _session_order(session, fields, 41)
    refuse = _cancel_reject(fields, order, replace=True)
    if order is None:
        return [refuse("unknown order")]
    message.order = order
    try:
        terms = translate.order_terms({54: translate.SIDE_OUT[order.side], **fields})
        order_replace(
            order_id=order.pk,
            requested_by=session.trader,
            client_order_id=fields.get(11, ""),
            source=Source.FIX,
            quantity=terms["quantity"] or UNCHANGED,
            limit_price=terms["limit_price"],
            strategy=terms["strategy"] or UNCHANGED,
            urgency=terms["urgency"] or UNCHANGED,
            instructions={k: terms[k] for k in INSTRUCTIONS if terms.get(k) is not None},
        )
    except Refused as refused:
        return [refuse(str(refused))]
    except ValidationError as refused:
        return [refuse(_errors(refused))]
    return []


def _cancel_reject(fields, order: Order | None, *, replace: bool):
    def refuse(text: str):
        return translate.cancel_reject(
            cl_ord_id=fields.get(11, ""),
            orig_cl_ord_id=fields.get(41, ""),
            order_id="NONE" if order is None else str(order.pk),
            replace=replace,
            text=text,
            ord_status="8" if order is None else ORD_STATUS[order.status],
        )

    return refuse


def _status(session: FixSession, message: FixMessage, fields) -> list:
    order = _session_order(session, fields, 11)
    if order is None:
        reject = _new_order_reject(session, message, fields)
        return [reject("unknown order")]
    message.order = order
    view = ReportView(
        exec_id=f"S{message.pk}",
        exec_type="STATUS",
        order_status=order.status,
        order_id=order.pk,
        client_order_id=order.client_order_id,
        orig_client_order_id="",
        account=order.account.code,
        symbol=order.instrument.symbol,
        side=order.side,
        order_quantity=order.quantity,
        limit_price=order.limit_price,
        last_quantity=0,
        last_price=None,
        last_market="",
        cum_quantity=order.filled_quantity,
        leaves_quantity=0 if order.status in FINISHED else order.remaining_quantity,
        average_price=order.average_price,
        text="",
        at=timezone.now(),
    )
    return [translate.execution_report(view, begin_string=session.begin_string)]


def _reports_of(session: FixSession, cursor: int):
    """The session's reports past ``cursor``: an OMS session's, of the orders that came in
    over FIX for its accounts; a drop copy's, of every order of its accounts."""
    reports = ExecutionReport.objects.filter(pk__gt=cursor, order__account__in=session.accounts.all())
    return reports.filter(order__source=Source.FIX) if session.kind == FixSession.Kind.OMS else reports


def reports_due(session: FixSession, *, after: int = 0, limit: int = 200) -> list[ReportView]:
    """The session's execution reports not handed to the engine yet, oldest first, past its
    cursor (or past ``after``, when the caller knows how far it has sent)."""
    cursor = max(after, FixSession.objects.values_list("report_cursor", flat=True).get(pk=session.pk))
    sent = ReportDelivery.objects.filter(session=session, report_id__gt=cursor).values("report")
    rows = (
        _reports_of(session, cursor)
        .exclude(pk__in=sent)
        .select_related("order__account", "order__instrument")
        .order_by("id")[:limit]
    )
    return [
        ReportView(
            exec_id=str(r.pk),
            exec_type=r.exec_type,
            order_status=r.order_status,
            order_id=r.order_id,
            client_order_id=r.client_order_id,
            orig_client_order_id=r.orig_client_order_id,
            account=r.order.account.code,
            symbol=r.order.instrument.symbol,
            side=r.order.side,
            order_quantity=r.order_quantity,
            limit_price=r.limit_price,
            last_quantity=r.last_quantity,
            last_price=r.last_price,
            last_market=r.last_market,
            cum_quantity=r.cum_quantity,
            leaves_quantity=r.leaves_quantity,
            average_price=r.average_price,
            text=r.text,
            at=r.created_at,
        )
        for r in rows
    ]


@transaction.atomic
def outbound_record(
    *, session: FixSession, messages: list[tuple[str, str, ReportView | None, int | None]]
) -> list[int]:
    """Before the engine sends: each message ``(type, raw, report, order id)`` and, for a
    report, its delivery, unconfirmed; the deliveries' ids, to confirm once sent."""
    FixMessage.objects.bulk_create(
        FixMessage(
            session=session,
            direction=FixMessage.Direction.OUT,
            msg_type=msg_type,
            seq_num=0,
            cl_ord_id="" if report is None else report.client_order_id,
            order_id=order_id,
            raw=shown(raw),
        )
        for msg_type, raw, report, order_id in messages
    )
    deliveries = ReportDelivery.objects.bulk_create(
        ReportDelivery(session=session, report_id=int(report.exec_id))
        for _, _, report, _ in messages
        if report is not None and report.exec_id.isdigit()
    )
    return [d.pk for d in deliveries]


def deliveries_confirm(delivery_ids: list[int]) -> None:
    ReportDelivery.objects.filter(pk__in=delivery_ids).update(confirmed=True)


def deliveries_reconcile(*, session: FixSession, stored_exec_ids: set[str]) -> int:
    """At start-up: a delivery left unconfirmed by a crash is confirmed if the engine's message
    store holds its report under a sequence number it counts as sent (it went out, or goes out
    again on a resend request), and forgotten otherwise, so the report is sent again: each
    once. How many were forgotten."""
    forgotten = []
    for pk, report_id in ReportDelivery.objects.filter(session=session, confirmed=False).values_list("pk", "report"):
        if str(report_id) not in stored_exec_ids:
            forgotten.append(pk)
    ReportDelivery.objects.filter(pk__in=forgotten).delete()
    ReportDelivery.objects.filter(session=session, confirmed=False).update(confirmed=True)
    return len(forgotten)


SETTLED_S = 30  # a report this old is committed or never will be: no transaction here lasts this long


def reports_cursor_advance(session: FixSession) -> None:
    """Move the session's cursor over reports that have gone out, so ``reports_due`` looks at
    recent ones only. It stops at the first settled report still to go (a session logged off)
    and never passes reports younger than ``SETTLED_S``: a transaction that took an id and
    commits later must still be seen."""
    cursor = FixSession.objects.values_list("report_cursor", flat=True).get(pk=session.pk)
    settled = _reports_of(session, cursor).filter(created_at__lt=timezone.now() - timedelta(seconds=SETTLED_S))
    sent = ReportDelivery.objects.filter(session=session, report_id__gt=cursor).values("report")
    first_unsent = settled.exclude(pk__in=sent).order_by("id").values_list("pk", flat=True).first()
    if first_unsent is not None:
        new_cursor = first_unsent - 1
    else:
        new_cursor = settled.order_by("-id").values_list("pk", flat=True).first() or cursor
    if new_cursor > cursor:
        FixSession.objects.filter(pk=session.pk).update(report_cursor=new_cursor)


def session_status_update(*, session_id: int, **status) -> None:
    FixSession.objects.filter(pk=session_id).update(**status)
