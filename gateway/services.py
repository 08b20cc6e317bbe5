"""What the FIX gateway does with the database: store inbound messages, turn them into
orders, cancels, amends and status answers through the same services as every channel, and
track which execution report went out on which session."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orders.domain.lifecycle import FINISHED
from orders.models import ExecutionReport, Order, Source
from orders.reports import FIELDS as REPORT_FIELDS
from orders.services.intake import orders_submit
from routing.services.cancels import order_cancel
from routing.services.replaces import UNCHANGED, order_replace
from smarttrading import bulk_sql

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


MESSAGE_FIELDS = ("session", "direction", "msg_type", "seq_num", "cl_ord_id", "order", "raw", "at")


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
    stored = [_stored(session, message, order_ids.get(index)) for index, message in enumerate(messages)]
    now = timezone.now()
    bulk_sql.insert_rows(
        FixMessage,
        MESSAGE_FIELDS,
        ((session.pk, m.direction, m.msg_type, m.seq_num, m.cl_ord_id, m.order_id, m.raw, now) for m in stored),
    )
    if refusals:  # a reject's ExecID names the message it answers: the pump alone writes them, so ours are the last
        latest = FixMessage.objects.filter(session=session, direction=FixMessage.Direction.IN).order_by("-id")
        for message, pk in zip(stored, reversed(latest.values_list("pk", flat=True)[: len(stored)]), strict=True):
            message.pk = pk
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


# The report's own columns as intake writes them (``orders.reports.FIELDS``), with its id and its order's terms.
_REPORT_COLUMNS = (
    "id",
    *("order_id" if field == "order" else field for field in REPORT_FIELDS),
    "order__account_id",
    "order__account__code",
    "order__instrument__symbol",
    "order__side",
    "order__source",
)


@dataclass(frozen=True)
class ReportsRead:
    ids: list[int]  # every report id read past ``after``, the session's or not, in order
    holes_found: list[int]  # the holes looked for that have committed since
    due: list[ReportView]  # the session's reports among them not delivered yet, oldest first
    complete: bool  # the read was not cut at its limit: nothing lies past ``ids`` yet


def reports_read(
    session: FixSession, *, account_ids: frozenset[int], after: int, holes: list[tuple[int, int]], limit: int = 500
) -> ReportsRead:
    """The execution reports past ``after`` and in the ``holes`` (inclusive id ranges), read by
    primary key so a round costs what is new; of them, the session's not yet delivered: an
    OMS session's are the reports of the orders that came in over FIX for its accounts, a
    drop copy's those of every order of its accounts (``account_ids``)."""
    rows = list(ExecutionReport.objects.filter(pk__gt=after).order_by("id").values(*_REPORT_COLUMNS)[:limit])
    found = []
    if holes:
        in_holes = Q()
        for first, last in holes:
            in_holes |= Q(pk__range=(first, last))
        found = list(ExecutionReport.objects.filter(in_holes).values(*_REPORT_COLUMNS))
    oms = session.kind == FixSession.Kind.OMS
    mine = sorted(
        (
            r
            for r in rows + found
            if r["order__account_id"] in account_ids and (not oms or r["order__source"] == Source.FIX)
        ),
        key=lambda r: r["id"],
    )
    delivered = set()
    if mine:
        delivered = set(
            ReportDelivery.objects.filter(session=session, report_id__in=[r["id"] for r in mine]).values_list(
                "report_id", flat=True
            )
        )
    return ReportsRead(
        ids=[r["id"] for r in rows],
        holes_found=[r["id"] for r in found],
        due=[_report_view(r) for r in mine if r["id"] not in delivered],
        complete=len(rows) < limit,
    )


def _report_view(row: dict) -> ReportView:
    return ReportView(
        exec_id=str(row["id"]),
        exec_type=row["exec_type"],
        order_status=row["order_status"],
        order_id=row["order_id"],
        client_order_id=row["client_order_id"],
        orig_client_order_id=row["orig_client_order_id"],
        account=row["order__account__code"],
        symbol=row["order__instrument__symbol"],
        side=row["order__side"],
        order_quantity=row["order_quantity"],
        limit_price=row["limit_price"],
        last_quantity=row["last_quantity"],
        last_price=row["last_price"],
        last_market=row["last_market"],
        cum_quantity=row["cum_quantity"],
        leaves_quantity=row["leaves_quantity"],
        average_price=row["average_price"],
        text=row["text"],
        at=row["created_at"],
    )


@transaction.atomic
def outbound_record(
    *, session: FixSession, messages: list[tuple[str, str, ReportView | None, int | None]]
) -> list[int]:
    """Before the engine sends: each message ``(type, raw, report, order id)`` and, for a
    report, its delivery, unconfirmed; the reports' ids, to confirm once sent. Inserted with
    ``executemany``: a burst's round writes hundreds of each."""
    now = timezone.now()
    bulk_sql.insert_rows(
        FixMessage,
        MESSAGE_FIELDS,
        (
            (
                session.pk,
                FixMessage.Direction.OUT,
                msg_type,
                0,
                "" if report is None else report.client_order_id,
                order_id,
                shown(raw),
                now,
            )
            for msg_type, raw, report, order_id in messages
        ),
    )
    report_ids = [int(r.exec_id) for _, _, r, _ in messages if r is not None and r.exec_id.isdigit()]
    bulk_sql.insert_rows(
        ReportDelivery, ("session", "report", "confirmed", "at"), ((session.pk, r, False, now) for r in report_ids)
    )
    return report_ids


def deliveries_confirm(*, session: FixSession, report_ids: list[int]) -> None:
    """After the send. A range, not a list of ids: the session's only unconfirmed deliveries
    are the send's own (those a crash left are settled at start-up)."""
    if report_ids:
        ReportDelivery.objects.filter(
            session=session, report_id__gte=min(report_ids), report_id__lte=max(report_ids), confirmed=False
        ).update(confirmed=True)


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


def report_cursor(*, session: FixSession) -> int:
    return FixSession.objects.values_list("report_cursor", flat=True).get(pk=session.pk)


def session_account_ids(*, session: FixSession) -> frozenset[int]:
    return frozenset(session.accounts.values_list("pk", flat=True))


def session_status_update(*, session_id: int, **status) -> None:
    FixSession.objects.filter(pk=session_id).update(**status)
