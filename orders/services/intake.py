"""Intake: every channel's rows become validated, risk-checked orders, idempotently."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from smarttrading import bulk_sql

from ..broadcasts import order_ids_publish
from ..domain.instructions import COLUMNS as INSTRUCTION_COLUMNS
from ..domain.instructions import VenueSet
from ..domain.intake import FieldError, InstrumentSpec, OrderRequest, parse_order_row
from ..domain.lifecycle import OrderEvent, order_transition
from ..domain.risk import risk_check
from ..domain.values import Strategy
from ..locks import accounts_lock
from ..models import Account, AuditEvent, Instrument, Order, OrderStatus, Upload
from ..reports import ExecType, execution_reports_add
from ..selectors import risk_limits_for, risk_usage
from .risk_usage import day_usage_add

KILL_SWITCH_REASON = "kill switch engaged: no new orders are accepted"
CLOSING_CUTOFF_REASON = "the closing auction takes orders until 15:50 exchange time"
OPENING_PAST_REASON = "the opening auction has run: it takes orders in the pre-open, 09:15 to 09:30 exchange time"
QUERY_CHUNK = 2000  # ids per IN (...) clause


@dataclass(frozen=True, slots=True)
class IntakeMarket:
    """What intake needs from execution: whether the kill switch is engaged, each instrument's
    NBBO mid (an order's arrival price), and the instruments whose opening auction has run or
    whose closing auction takes no more orders today, by instrument id."""

    halted: bool
    mids: Mapping[int, Decimal]
    past_closing_cutoff: frozenset[int] = frozenset()
    past_opening: frozenset[int] = frozenset()


def intake_market(*, instruments: Iterable[Instrument]) -> IntakeMarket:
    """Read through ``settings.INTAKE_MARKET``: execution builds on orders, so orders names no execution module."""
    return import_string(settings.INTAKE_MARKET)(instruments=instruments)


def intake_venues() -> VenueSet:
    """The venue codes an order may exclude, read through ``settings.INTAKE_VENUES``."""
    return import_string(settings.INTAKE_VENUES)()


def _chunks(items: Sequence, size: int = QUERY_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def instrument_spec(instrument: Instrument) -> InstrumentSpec:
    """The instrument as the pure core sees it, numbers spelt as people write them (0.01, not 0.010000)."""
    tick = instrument.tick_size
    tick = tick.quantize(Decimal(1)) if tick == tick.to_integral_value() else tick.normalize()
    return InstrumentSpec(instrument.symbol, tick, instrument.lot_size, instrument.reference_price.quantize(tick))


@dataclass(frozen=True, slots=True)
class IntakeContext:
    """What rows are checked against: the instruments and the submitter's accounts, read once
    per request or batch and handed from validation to acceptance."""

    instruments: dict[str, Instrument]
    specs: dict[str, InstrumentSpec]
    accounts: dict[str, Account]
    venues: VenueSet


def intake_context(*, submitted_by) -> IntakeContext:
    instruments = {i.symbol: i for i in Instrument.objects.all()}
    return IntakeContext(
        instruments,
        {symbol: instrument_spec(i) for symbol, i in instruments.items()},
        {a.code: a for a in Account.objects.filter(owner=submitted_by)},
        intake_venues(),
    )


@dataclass(frozen=True, slots=True)
class RowProblem:
    index: int  # position in the submitted rows, from 0
    errors: list[FieldError]


@dataclass(slots=True)
class IntakeBatch:
    requests: list[tuple[int, OrderRequest]]
    problems: list[RowProblem]


def intake_parse(*, submitted_by, rows: Iterable[Mapping], context: IntakeContext | None = None) -> IntakeBatch:
    """Validate rows from any channel against the instruments and the submitter's accounts."""
    context = context or intake_context(submitted_by=submitted_by)
    instruments, accounts = context.specs, context.accounts.keys()
    batch = IntakeBatch([], [])
    for index, row in enumerate(rows):
        parsed = parse_order_row(row, instruments=instruments, accounts=accounts, venues=context.venues)
        if isinstance(parsed, OrderRequest):
            batch.requests.append((index, parsed))
        else:
            batch.problems.append(RowProblem(index, parsed))
    return batch


@dataclass(frozen=True, slots=True)
class Accepted:
    order_id: int
    client_order_id: str
    status: str
    reject_reason: str
    created: bool  # False: the (account, client_order_id) was already there; this is the original
    # Why a repeat is refused: it reuses the client_order_id for different terms (empty for a
    # true repeat, which is a safe retry and returns the original).
    conflict: str = ""
    reject_check: str = ""  # the risk check a new order failed (its stable name)


def _terms(instrument: str, side: str, quantity: int, limit_price) -> tuple:
    """What makes two orders with one client_order_id the same order."""
    return instrument, side, quantity, None if limit_price is None else Decimal(limit_price).normalize()


def _conflict(order_id: int, original: tuple, request: OrderRequest) -> str:
    if original == _terms(request.instrument, request.side.value, request.quantity, request.limit_price):
        return ""
    instrument, side, quantity, limit = original
    return (
        f"client_order_id {request.client_order_id} is already order {order_id} "
        f"({side} {quantity:,} {instrument} at {format(limit, 'f') if limit is not None else 'market'}); "
        "use a new id for a different order"
    )


@transaction.atomic
def orders_accept(
    *,
    submitted_by,
    requests: Sequence[OrderRequest],
    source: str,
    upload: Upload | None = None,
    context: IntakeContext | None = None,
) -> list[Accepted]:
    """Turn validated requests into orders; one result per request, in order.

    Idempotent on ``(account, client_order_id)``, within the batch and against the
    database: a repeat returns the original order. A limit outside the price collar is
    stored as a REJECTED order with its reason, so the trader sees why. Rows go in with
    ``executemany`` (see ``smarttrading.bulk_sql``): 100,000 orders take seconds, not minutes.
    """
    context = context or intake_context(submitted_by=submitted_by)
    insert = partial(_orders_insert, submitted_by=submitted_by, requests=requests, source=source, upload=upload)
    try:
        with transaction.atomic():  # savepoint: a concurrent twin makes us look again
            return insert(context=context)
    except IntegrityError:
        return insert(context=context)


ORDER_INSERT_FIELDS = (
    "account",
    "submitted_by",
    "client_order_id",
    "instrument",
    "side",
    "quantity",
    "limit_price",
    "strategy",
    "urgency",
    "instructions",
    "source",
    "status",
    "reject_reason",
    "risk_notional",
    "upload",
    "filled_quantity",
    "filled_notional",
    "cancelled_quantity",
    "received_at",
    "arrival_price",
    "updated_at",
)


AUDIT_INSERT_FIELDS = ("kind", "actor", "at", "order", "detail")


def _orders_insert(*, submitted_by, requests, source, upload, context: IntakeContext) -> list[Accepted]:
    accounts = context.accounts
    account_ids = sorted(a.pk for a in accounts.values())
    accounts_lock(account_ids)
    instruments, specs = context.instruments, context.specs
    known = _orders_by_client_id(account_ids, [r.client_order_id for r in requests])
    market = intake_market(instruments={instruments[r.instrument] for r in requests})
    now = timezone.now()
    limits = risk_limits_for(account_ids)
    usage = risk_usage(account_ids, now=now)
    added: dict[int, Decimal] = dict.fromkeys(account_ids, Decimal(0))  # to each account's daily total
    upload_id = upload.pk if upload else None
    rows: list[tuple] = []
    fresh: dict[tuple, tuple[str, str, str]] = {}  # (account id, client id) -> (status, reason, check)
    fresh_requests: dict[tuple, OrderRequest] = {}
    for request in requests:
        account_id = accounts[request.account].pk
        key = (account_id, request.client_order_id)
        if key in known or key in fresh:
            continue
        if market.halted:
            check, reason, notional = "kill_switch", KILL_SWITCH_REASON, Decimal(0)
        elif request.strategy == Strategy.CLOSE and instruments[request.instrument].pk in market.past_closing_cutoff:
            check, reason, notional = "closing_cutoff", CLOSING_CUTOFF_REASON, Decimal(0)
        elif request.strategy == Strategy.OPEN and instruments[request.instrument].pk in market.past_opening:
            check, reason, notional = "opening_past", OPENING_PAST_REASON, Decimal(0)
        else:
            breach, notional = risk_check(request, specs[request.instrument], limits[account_id], usage[account_id])
            check, reason = (breach.check, breach.reason) if breach else ("", "")
        if not reason:
            usage[account_id].gross_notional_today += notional
            usage[account_id].orders_last_minute += 1
            added[account_id] += notional
        status = order_transition(OrderStatus.NEW, OrderEvent.REJECTED if reason else OrderEvent.ACCEPTED)
        fresh[key] = (status, reason, check)
        fresh_requests[key] = request
        rows.append(
            (
                account_id,
                submitted_by.pk,
                request.client_order_id,
                instruments[request.instrument].pk,
                request.side.value,
                request.quantity,
                request.limit_price,
                request.strategy,
                request.urgency,
                request.instructions.as_json(),
                source,
                status,
                reason,
                Decimal(0) if reason else notional,
                upload_id,
                0,
                Decimal(0),
                0,
                now,
                market.mids.get(instruments[request.instrument].pk),
                now,
            )
        )
    bulk_sql.insert_rows(Order, ORDER_INSERT_FIELDS, rows)
    day_usage_add(deltas=added, day=timezone.localtime(now).date())
    ids = _order_ids(account_ids, [key[1] for key in fresh])
    actor = f"user:{submitted_by.username}"
    extra = {"upload": upload_id} if upload_id else {}
    bulk_sql.insert_rows(
        AuditEvent,
        AUDIT_INSERT_FIELDS,
        (
            (
                "order.rejected" if reason else "order.accepted",
                actor,
                now,
                ids[key],
                {
                    "source": source,
                    "transition": [OrderStatus.NEW, status],
                    **({"reason": reason, "check": check} if reason else {}),
                    **extra,
                },
            )
            for key, (status, reason, check) in fresh.items()
        ),
    )
    execution_reports_add(
        (
            ids[key],
            ExecType.REJECTED if reason else ExecType.NEW,
            status,
            key[1],
            "",
            fresh_requests[key].quantity,
            fresh_requests[key].limit_price,
            0,
            None,
            "",
            0,
            0 if reason else fresh_requests[key].quantity,
            None,
            reason,
            now,
        )
        for key, (status, reason, _) in fresh.items()
    )
    results = []
    first_terms: dict[tuple, tuple] = {}  # terms of each new order, as its first row gave them
    for request in requests:
        key = (accounts[request.account].pk, request.client_order_id)
        if key in known:
            order_id, status, reason, terms = known[key]
            conflict = _conflict(order_id, terms, request)
            results.append(Accepted(order_id, request.client_order_id, status, reason, False, conflict))
        elif key in first_terms:
            conflict = _conflict(ids[key], first_terms[key], request)
            status, reason, _ = fresh[key]
            results.append(Accepted(ids[key], request.client_order_id, status, reason, False, conflict))
        else:
            status, reason, check = fresh[key]
            results.append(Accepted(ids[key], request.client_order_id, status, reason, True, reject_check=check))
            first_terms[key] = _terms(request.instrument, request.side.value, request.quantity, request.limit_price)
    order_ids_publish({submitted_by.pk: list(ids.values())})
    return results


@dataclass(frozen=True, slots=True)
class Submission:
    problems: list[RowProblem]
    accepted: list[tuple[int, Accepted]]  # (row index, outcome)
    refused: bool  # all or nothing, and a row was bad: nothing was created


@transaction.atomic
def orders_submit(*, submitted_by, rows: Sequence[Mapping], source: str, all_or_nothing: bool) -> Submission:
    """Validate a batch of rows and accept the good ones, or none of them if the caller asked for all or nothing.

    A row that reuses a client_order_id for different terms is a problem of that row.
    """
    context = intake_context(submitted_by=submitted_by)
    batch = intake_parse(submitted_by=submitted_by, rows=rows, context=context)
    if not batch.requests or (all_or_nothing and batch.problems):
        return Submission(batch.problems, [], refused=bool(batch.problems) and all_or_nothing)
    requests = [r for _, r in batch.requests]
    outcomes = orders_accept(submitted_by=submitted_by, requests=requests, source=source, context=context)
    accepted, conflicts = [], []
    for (index, _), outcome in zip(batch.requests, outcomes, strict=True):
        if outcome.conflict:
            conflicts.append(RowProblem(index, [FieldError("client_order_id", outcome.conflict)]))
        else:
            accepted.append((index, outcome))
    problems = sorted(batch.problems + conflicts, key=lambda p: p.index)
    if conflicts and all_or_nothing:
        transaction.set_rollback(True)
        return Submission(problems, [], refused=True)
    return Submission(problems, accepted, refused=False)


def _orders_by_client_id(account_ids: list[int], client_order_ids: Sequence[str]) -> dict[tuple, tuple]:
    """``(account id, client id) -> (order id, status, reject reason, terms)`` of orders already there."""
    found: dict[tuple, tuple] = {}
    for chunk in _chunks(list(dict.fromkeys(client_order_ids))):
        for pk, account_id, client_id, status, reason, symbol, side, quantity, limit in Order.objects.filter(
            account_id__in=account_ids, client_order_id__in=chunk
        ).values_list(
            "id",
            "account_id",
            "client_order_id",
            "status",
            "reject_reason",
            "instrument__symbol",
            "side",
            "quantity",
            "limit_price",
        ):
            found[(account_id, client_id)] = (pk, status, reason, _terms(symbol, side, quantity, limit))
    return found


def _order_ids(account_ids: list[int], client_order_ids: Sequence[str]) -> dict[tuple, int]:
    ids: dict[tuple, int] = {}
    for chunk in _chunks(list(client_order_ids)):
        for pk, account_id, client_id in Order.objects.filter(
            account_id__in=account_ids, client_order_id__in=chunk
        ).values_list("id", "account_id", "client_order_id"):
            ids[(account_id, client_id)] = pk
    return ids


def order_create(
    *,
    submitted_by,
    account: str,
    instrument: str,
    side: str,
    quantity,
    client_order_id: str,
    source: str,
    limit_price=None,
    strategy: str | None = None,
    urgency: str | None = None,
    instructions: Mapping[str, object] | None = None,
) -> tuple[Order, bool]:
    """Accept one order (form, single API call) for an account code and instrument symbol;
    returns ``(order, created)``. ``instructions``: the trader's raw choices by column
    (``orders.domain.instructions.COLUMNS``), validated like a file's.

    Raises ValidationError with field errors when the order is malformed, or reuses its
    client_order_id for different terms.
    """
    row = {
        "client_order_id": client_order_id,
        "account": account,
        "instrument": instrument,
        "side": side,
        "quantity": quantity,
        "limit_price": limit_price,
        "strategy": strategy,
        "urgency": urgency,
        **{column: (instructions or {}).get(column) for column in INSTRUCTION_COLUMNS},
    }
    context = intake_context(submitted_by=submitted_by)
    batch = intake_parse(submitted_by=submitted_by, rows=[row], context=context)
    if batch.problems:
        raise ValidationError({e.column: e.reason for e in batch.problems[0].errors})
    request = batch.requests[0][1]
    (accepted,) = orders_accept(submitted_by=submitted_by, requests=[request], source=source, context=context)
    if accepted.conflict:
        raise ValidationError({"client_order_id": accepted.conflict})
    return Order.objects.select_related("account", "instrument").get(pk=accepted.order_id), accepted.created
