"""What the FIX gateway does with the database: store inbound messages, turn them into
orders, cancels, amends and status answers through the same services as every channel, and
track which execution report went out on which session."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orders.domain.lifecycle import FINISHED
from orders.models import ExecutionReport, Order, Source
from orders.services.intake import order_create
from routing.services.cancels import order_cancel
from routing.services.replaces import UNCHANGED, order_replace

from . import translate
from .models import FixMessage, FixSession, ReportDelivery
from .translate import ORD_STATUS, Refused, ReportView

APPLICATION_TYPES = ("D", "F", "G", "H")
INSTRUCTIONS = ("start_time", "end_time", "max_participation", "aggressiveness", "exclude_venues")


def shown(raw: str) -> str:
    return raw.replace(translate.SOH, "|")


def inbound_record(*, session_id: int, raw: str) -> FixMessage:
    """Keep an inbound application message before the engine counts it received."""
    fields = dict(reversed(translate.parse(raw)))  # the first value of a repeated tag wins
    return FixMessage.objects.create(
        session_id=session_id,
        direction=FixMessage.Direction.IN,
        msg_type=fields.get(35, ""),
        seq_num=int(fields.get(34, 0)),
        cl_ord_id=fields.get(11, "")[:64],
        raw=shown(raw),
        state=FixMessage.State.PENDING,
    )


def inbound_pending() -> list[FixMessage]:
    return list(
        FixMessage.objects.filter(state=FixMessage.State.PENDING).select_related("session").order_by("id")[:500]
    )


def inbound_handle(message: FixMessage) -> list[tuple[str, list]]:
    """Act on one stored message; the replies to send now (rejects and status answers; the
    execution reports of what it changed go out from the outbox)."""
    session = message.session
    raw = message.raw.replace("|", translate.SOH)
    fields = dict(reversed(translate.parse(raw)))
    handler = {"D": _new_order, "F": _cancel, "G": _replace, "H": _status}[message.msg_type]
    with transaction.atomic():
        replies = handler(session, message, fields)
        message.state = FixMessage.State.DONE
        message.save(update_fields=["state", "order"])
    return replies


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
    return "; ".join(exc.messages)


def _session_order(session: FixSession, fields, tag: int) -> Order | None:
    query = Q(account__in=session.accounts.all(), client_order_id=fields.get(tag, ""))
    if fields.get(1):
        query &= Q(account__code=fields[1])
    return Order.objects.filter(query).select_related("account", "instrument").first()


def _new_order(session: FixSession, message: FixMessage, fields) -> list:
    reject = _new_order_reject(session, message, fields)
    try:
        account = fields.get(1, "")
        if not session.accounts.filter(code=account).exists():
            raise Refused(f"account {account or '(none)'} may not be traded on this session")
        terms = translate.order_terms(fields)
        order, created = order_create(
            submitted_by=session.trader,
            account=account,
            instrument=terms["instrument"],
            side=terms["side"],
            quantity=terms["quantity"],
            client_order_id=fields.get(11, ""),
            source=Source.FIX,
            limit_price=terms["limit_price"],
            strategy=terms["strategy"],
            urgency=terms["urgency"],
            instructions={k: terms.get(k) for k in INSTRUCTIONS},
        )
    except Refused as refused:
        return [reject(str(refused))]
    except ValidationError as invalid:
        return [reject(_errors(invalid))]
    message.order = order
    if created:
        return []  # its New (or Rejected) report is in the outbox
    if message.raw.find("|97=Y|") >= 0:
        return []  # a PossResend repeat of an order already taken: not a second order
    return [reject(f"duplicate ClOrdID {order.client_order_id}: it is order {order.pk}")]


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
        order_cancel(order_id=order.pk, cancelled_by=session.trader)
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


def reports_due(session: FixSession, limit: int = 200) -> list[ReportView]:
    """The session's execution reports not handed to the engine yet, oldest first: an OMS
    session's orders (those its NewOrderSingles created), or a drop copy's accounts'."""
    if session.kind == FixSession.Kind.OMS:
        mine = FixMessage.objects.filter(session=session, msg_type="D", order__isnull=False).values("order")
        reports = ExecutionReport.objects.filter(order__in=mine)
    else:
        reports = ExecutionReport.objects.filter(order__account__in=session.accounts.all())
    sent = ReportDelivery.objects.filter(session=session).values("report")
    rows = reports.exclude(pk__in=sent).select_related("order__account", "order__instrument").order_by("id")[:limit]
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
def outbound_record(*, session: FixSession, seq_num: int, msg_type: str, raw: str, report: ReportView | None, order_id):
    """Before the engine sends: the message and, for a report, its delivery."""
    FixMessage.objects.create(
        session=session,
        direction=FixMessage.Direction.OUT,
        msg_type=msg_type,
        seq_num=seq_num,
        cl_ord_id="" if report is None else report.client_order_id,
        order_id=order_id,
        raw=shown(raw),
    )
    if report is not None and report.exec_id.isdigit():
        ReportDelivery.objects.create(session=session, report_id=int(report.exec_id), seq_num=seq_num)


def deliveries_forget_unsent(*, session: FixSession, next_sender_seq: int) -> int:
    """At start-up: the trailing deliveries the message store never took (numbered at or past
    its next sequence number) are forgotten, so their reports go out again. How many."""
    forgotten = []
    for pk, seq_num in ReportDelivery.objects.filter(session=session).order_by("-id").values_list("pk", "seq_num"):
        if seq_num < next_sender_seq:
            break
        forgotten.append(pk)
    ReportDelivery.objects.filter(pk__in=forgotten).delete()
    return len(forgotten)


def session_status_update(*, session_id: int, **status) -> None:
    FixSession.objects.filter(pk=session_id).update(**status)
