"""Business operations on orders and parent orders. Each owns its transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from routing.algorithms.parameters import FOR_URGENCY
from routing.models import KillSwitch
from routing.selectors import market_mids
from smarttrading import bulk_sql, streams

from .domain.aggregation import OrderGroup, PendingOrder, plan_window
from .domain.allocation import Demand, Supply, allocate_fills
from .domain.intake import FieldError, InstrumentSpec, OrderRequest, parse_order_row
from .domain.risk import risk_check
from .domain.values import Side
from .models import (
    PARENT_LIVE_STATUSES,
    Account,
    Allocation,
    AuditEvent,
    Instrument,
    InternalCross,
    Order,
    OrderStatus,
    ParentOrder,
    ParentStatus,
    RiskLimits,
    Upload,
    Urgency,
)
from .payloads import order_payload, parent_payload
from .selectors import RISK_LIMIT_FIELDS, risk_limits_for, risk_limits_payload, risk_usage

KILL_SWITCH_REASON = "kill switch engaged: no new orders are accepted"
# Execution horizon in simulated seconds by urgency.
HORIZON_FOR_URGENCY = {Urgency.LOW: 60 * 60, Urgency.MEDIUM: 30 * 60, Urgency.HIGH: 10 * 60}
URGENCY_RANK = {Urgency.HIGH: 0, Urgency.MEDIUM: 1, Urgency.LOW: 2}
# Beyond this many changed orders a user's stream gets one "orders_changed" and resyncs.
BROADCAST_ORDERS_MAX = 200
QUERY_CHUNK = 2000  # ids per IN (...) clause
INTERNAL = Allocation.INTERNAL_VENUE


def _audit(
    kind: str,
    actor: str,
    *,
    order: Order | None = None,
    parent: ParentOrder | None = None,
    sim_time=None,
    **detail,
) -> AuditEvent:
    return AuditEvent(kind=kind, actor=actor, order=order, parent=parent, sim_time=sim_time, detail=detail)


def _chunks(items: Sequence, size: int = QUERY_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- intake -------------------------------------------------------------------------


def instrument_spec(instrument: Instrument) -> InstrumentSpec:
    """The instrument as the pure core sees it, numbers spelt as people write them (0.01, not 0.010000)."""
    tick = instrument.tick_size
    tick = tick.quantize(Decimal(1)) if tick == tick.to_integral_value() else tick.normalize()
    return InstrumentSpec(instrument.symbol, tick, instrument.lot_size, instrument.reference_price.quantize(tick))


def instrument_specs() -> dict[str, InstrumentSpec]:
    return {i.symbol: instrument_spec(i) for i in Instrument.objects.all()}


@dataclass(frozen=True, slots=True)
class RowProblem:
    index: int  # position in the submitted rows, from 0
    errors: list[FieldError]


@dataclass(slots=True)
class IntakeBatch:
    requests: list[tuple[int, OrderRequest]]
    problems: list[RowProblem]


def intake_parse(*, submitted_by, rows: Iterable[Mapping]) -> IntakeBatch:
    """Validate rows from any channel against the instruments and the submitter's accounts."""
    instruments = instrument_specs()
    accounts = set(Account.objects.filter(owner=submitted_by).values_list("code", flat=True))
    batch = IntakeBatch([], [])
    for index, row in enumerate(rows):
        parsed = parse_order_row(row, instruments=instruments, accounts=accounts)
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
    *, submitted_by, requests: Sequence[OrderRequest], source: str, upload: Upload | None = None
) -> list[Accepted]:
    """Turn validated requests into orders; one result per request, in order.

    Idempotent on ``(account, client_order_id)``, within the batch and against the
    database: a repeat returns the original order. A limit outside the price collar is
    stored as a REJECTED order with its reason, so the trader sees why. Rows go in with
    ``executemany`` (see ``smarttrading.bulk_sql``): 100,000 orders take seconds, not minutes.
    """
    try:
        with transaction.atomic():  # savepoint: a concurrent twin makes us look again
            return _orders_insert(submitted_by=submitted_by, requests=requests, source=source, upload=upload)
    except IntegrityError:
        return _orders_insert(submitted_by=submitted_by, requests=requests, source=source, upload=upload)


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
    "source",
    "status",
    "reject_reason",
    "risk_notional",
    "upload",
    "filled_quantity",
    "filled_notional",
    "received_at",
    "arrival_price",
    "updated_at",
)
AUDIT_INSERT_FIELDS = ("kind", "actor", "at", "order", "detail")


def _orders_insert(*, submitted_by, requests, source, upload) -> list[Accepted]:
    accounts = {a.code: a for a in Account.objects.filter(owner=submitted_by)}
    account_ids = sorted(a.pk for a in accounts.values())
    # Lock the accounts (in id order) so concurrent batches see each other's usage. NO KEY
    # UPDATE: rows that merely reference an account (new orders) are not held up by it.
    list(Account.objects.select_for_update(no_key=True).filter(pk__in=account_ids).order_by("pk").values_list("pk"))
    instruments = {i.symbol: i for i in Instrument.objects.all()}
    specs = {symbol: instrument_spec(i) for symbol, i in instruments.items()}
    known = _orders_by_client_id(account_ids, [r.client_order_id for r in requests])
    halted = KillSwitch.current().engaged
    mids = market_mids(instruments={instruments[r.instrument] for r in requests})
    now = timezone.now()
    limits = risk_limits_for(account_ids)
    usage = risk_usage(account_ids, now=now)
    upload_id = upload.pk if upload else None
    rows: list[tuple] = []
    fresh: dict[tuple, tuple[str, str, str]] = {}  # (account id, client id) -> (status, reason, check)
    for request in requests:
        account_id = accounts[request.account].pk
        key = (account_id, request.client_order_id)
        if key in known or key in fresh:
            continue
        if halted:
            check, reason, notional = "kill_switch", KILL_SWITCH_REASON, Decimal(0)
        else:
            breach, notional = risk_check(request, specs[request.instrument], limits[account_id], usage[account_id])
            check, reason = (breach.check, breach.reason) if breach else ("", "")
        if not reason:
            usage[account_id].gross_notional_today += notional
            usage[account_id].orders_last_minute += 1
        status = OrderStatus.REJECTED if reason else OrderStatus.PENDING_AGGREGATION
        fresh[key] = (status, reason, check)
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
                source,
                status,
                reason,
                Decimal(0) if reason else notional,
                upload_id,
                0,
                Decimal(0),
                now,
                mids.get(instruments[request.instrument].pk),
                now,
            )
        )
    bulk_sql.insert_rows(Order, ORDER_INSERT_FIELDS, rows)
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
            status, reason, _ = fresh[key]
            results.append(Accepted(ids[key], request.client_order_id, status, reason, True))
            first_terms[key] = _terms(request.instrument, request.side.value, request.quantity, request.limit_price)
    _publish_order_ids({submitted_by.pk: list(ids.values())})
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
    batch = intake_parse(submitted_by=submitted_by, rows=rows)
    if not batch.requests or (all_or_nothing and batch.problems):
        return Submission(batch.problems, [], refused=bool(batch.problems) and all_or_nothing)
    outcomes = orders_accept(submitted_by=submitted_by, requests=[r for _, r in batch.requests], source=source)
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
    account: Account,
    instrument: Instrument,
    side: str,
    quantity,
    client_order_id: str,
    source: str,
    limit_price=None,
    strategy: str | None = None,
    urgency: str | None = None,
) -> tuple[Order, bool]:
    """Accept one order (form, single API call); returns ``(order, created)``.

    Raises ValidationError with field errors when the order is malformed, or reuses its
    client_order_id for different terms.
    """
    row = {
        "client_order_id": client_order_id,
        "account": account.code,
        "instrument": instrument.symbol,
        "side": side,
        "quantity": quantity,
        "limit_price": limit_price,
        "strategy": strategy,
        "urgency": urgency,
    }
    batch = intake_parse(submitted_by=submitted_by, rows=[row])
    if batch.problems:
        raise ValidationError({e.column: e.reason for e in batch.problems[0].errors})
    (accepted,) = orders_accept(submitted_by=submitted_by, requests=[batch.requests[0][1]], source=source)
    if accepted.conflict:
        raise ValidationError({"client_order_id": accepted.conflict})
    return Order.objects.select_related("account", "instrument").get(pk=accepted.order_id), accepted.created


def _publish_orders(orders: Iterable[Order]) -> None:
    """Stream changed orders to their owners; a big batch becomes one resync hint."""
    by_owner: dict[int, list[Order]] = defaultdict(list)
    for order in orders:
        by_owner[order.account.owner_id].append(order)
    for owner_id, changed in by_owner.items():
        group = streams.user_orders_group(owner_id)
        if len(changed) > BROADCAST_ORDERS_MAX:
            streams.publish_on_commit(group, {"type": "orders_changed", "count": len(changed)})
        else:
            streams.publish_on_commit(group, {"type": "order", "orders": [order_payload(o) for o in changed]})


# --- aggregation, netting and internal crossing ------------------------------------------


@transaction.atomic
def aggregation_window_run(*, actor: str) -> list[ParentOrder]:
    """Net, cross and group every order waiting for aggregation into parents, and start them.

    Opposing orders cross at the NBBO mid (venue INTERNAL); each group then tops up the
    live parent with the same key, or becomes a new parent, and only the part not crossed
    is worked in the market. Locks: pending orders, then market sessions, then parents,
    each in id order; an execution step takes sessions, then parents, so they never deadlock.
    """
    from routing.services import market_now_lock, session_wake  # routing builds on orders

    pending = list(
        Order.objects.select_for_update(of=("self",))
        .filter(status=OrderStatus.PENDING_AGGREGATION)
        .order_by("received_at", "id")
        .values_list(
            "id", "instrument_id", "side", "strategy", "limit_price", "quantity", "urgency", "account__owner_id"
        )
    )
    if not pending:
        return []
    instruments = Instrument.objects.in_bulk({row[1] for row in pending})
    markets = market_now_lock(instruments=instruments.values())
    symbol_of = {pk: i.symbol for pk, i in instruments.items()}
    plan = plan_window(
        [PendingOrder(row[0], symbol_of[row[1]], Side(row[2]), row[3], row[4], row[5]) for row in pending],
        mids={symbol_of[pk]: m.mid for pk, m in markets.items() if m.mid is not None},
        lot_sizes={i.symbol: i.lot_size for i in instruments.values()},
    )
    by_symbol = {i.symbol: i for i in instruments.values()}
    row_of = {row[0]: row for row in pending}

    crosses = InternalCross.objects.bulk_create(
        [
            InternalCross(
                instrument=by_symbol[c.instrument],
                quantity=c.quantity,
                price=c.price,
                bid=markets[by_symbol[c.instrument].pk].bid,
                ask=markets[by_symbol[c.instrument].pk].ask,
                sim_time=markets[by_symbol[c.instrument].pk].now,
            )
            for c in plan.crosses
        ]
    )
    crossed: dict[int, tuple[InternalCross, int]] = {}
    now = timezone.now()
    audit: list[AuditEvent] = []
    order_audit: list[tuple] = []  # one per order: plain rows, inserted in bulk
    aggregated = {"transition": [OrderStatus.PENDING_AGGREGATION, OrderStatus.WORKING]}
    for cross, planned in zip(crosses, plan.crosses, strict=True):
        for side in (planned.buys, planned.sells):
            crossed.update((order_id, (cross, shares)) for order_id, shares in side.items())
        audit.append(
            _audit(
                "cross.executed",
                actor,
                sim_time=cross.sim_time,
                cross=cross.pk,
                instrument=planned.instrument,
                quantity=cross.quantity,
                price=str(cross.price),
                bid=str(cross.bid),
                ask=str(cross.ask),
                buy_orders=len(planned.buys),
                sell_orders=len(planned.sells),
            )
        )

    live = _live_parents_lock(instruments=instruments.values())
    parents: list[ParentOrder] = []
    allocations: list[tuple] = []
    crossed_orders: list[tuple] = []
    working_ids: dict[int, list[int]] = defaultdict(list)  # parent id -> orders not crossed
    for group in plan.groups:
        instrument = by_symbol[group.key.instrument]
        market = markets[instrument.pk]
        urgency = min((Urgency(row_of[key][6]) for key in group.order_keys), key=URGENCY_RANK.__getitem__)
        parent = _parent_for_group(group, instrument, urgency, live, market, actor, audit)
        group_cross: InternalCross | None = None
        for order_id in group.order_keys:
            if order_id not in crossed:
                working_ids[parent.pk].append(order_id)
                order_audit.append(("order.aggregated", actor, now, None, order_id, parent.pk, aggregated))
                continue
            group_cross, shares = crossed[order_id]
            quantity = row_of[order_id][5]
            status = OrderStatus.FILLED if shares == quantity else OrderStatus.PARTIALLY_FILLED
            notional = shares * group_cross.price
            crossed_orders.append((parent.pk, shares, notional, status, now, order_id))
            allocations.append((order_id, parent.pk, group_cross.pk, shares, group_cross.price, INTERNAL, now))
            order_audit.append(  # one transition: aggregated into the parent and (partly) filled by the cross
                (
                    "order.crossed",
                    actor,
                    now,
                    group_cross.sim_time,
                    order_id,
                    parent.pk,
                    {
                        "quantity": shares,
                        "price": str(group_cross.price),
                        "venue": INTERNAL,
                        "transition": [OrderStatus.PENDING_AGGREGATION, status],
                    },
                )
            )
        if group.crossed:
            audit.append(
                _audit(
                    "parent.crossed",
                    actor,
                    parent=parent,
                    sim_time=group_cross.sim_time,
                    quantity=group.crossed,
                    price=str(group_cross.price),
                    cross=group_cross.pk,
                )
            )
        if parent.status == ParentStatus.NEW and parent.filled_quantity == parent.quantity:
            _parent_filled_by_crosses(parent, market, actor, audit)
        parents.append(parent)

    for parent_id, order_ids in working_ids.items():
        bulk_sql.update_in(Order, ("parent", "status", "updated_at"), (parent_id, OrderStatus.WORKING, now), order_ids)
    bulk_sql.update_rows(
        Order,
        ("parent", "filled_quantity", "filled_notional", "status", "updated_at"),
        crossed_orders,
    )
    bulk_sql.insert_rows(
        Allocation,
        ("order", "parent", "cross", "quantity", "price", "venue", "created_at"),
        allocations,
    )
    AuditEvent.objects.bulk_create(audit)
    bulk_sql.insert_rows(AuditEvent, ("kind", "actor", "at", "sim_time", "order", "parent", "detail"), order_audit)

    for instrument in {p.instrument for p in parents if p.status in PARENT_LIVE_STATUSES}:
        session_wake(instrument=instrument)
    unique_parents = list({p.pk: p for p in parents}.values())
    streams.publish_on_commit(
        streams.EXECUTION_GROUP, {"type": "parent", "parents": [parent_payload(p) for p in unique_parents]}
    )
    owners: dict[int, list[int]] = defaultdict(list)
    for row in pending:
        owners[row[7]].append(row[0])
    _publish_order_ids(owners)
    return unique_parents


def _live_parents_lock(*, instruments: Iterable[Instrument]) -> dict[tuple, ParentOrder]:
    """The oldest NEW or WORKING parent per group key: new orders top it up rather than race it.

    A PAUSED parent is left alone: a supervisor stopped it, new orders should not wait on it.
    """
    parents = (
        ParentOrder.objects.select_for_update(of=("self",))
        .select_related("instrument")
        .filter(instrument__in=list(instruments), status__in=(ParentStatus.NEW, ParentStatus.WORKING))
        .order_by("id")
    )
    live: dict[tuple, ParentOrder] = {}
    for parent in parents:
        live.setdefault((parent.instrument.symbol, parent.side, parent.strategy, parent.limit_price), parent)
    return live


def _parent_for_group(group: OrderGroup, instrument, urgency, live, market, actor, audit) -> ParentOrder:
    key = (group.key.instrument, group.key.side.value, group.key.strategy, group.key.limit_price)
    cross_notional = group.crossed * market.mid if group.crossed else Decimal(0)
    parent = live.get(key)
    if parent is None:
        parent = ParentOrder.objects.create(
            instrument=instrument,
            side=group.key.side.value,
            strategy=group.key.strategy,
            limit_price=group.key.limit_price,
            quantity=group.quantity,
            crossed_quantity=group.crossed,
            filled_quantity=group.crossed,
            filled_notional=cross_notional,
            crossed_notional=cross_notional,
            status=ParentStatus.NEW,
            duration_s=HORIZON_FOR_URGENCY[urgency],
            urgency=urgency,
            max_participation=FOR_URGENCY[urgency].max_participation,
            aggressiveness=FOR_URGENCY[urgency].aggressiveness,
        )
        live[key] = parent
        audit.append(
            _audit(
                "parent.created",
                actor,
                parent=parent,
                orders=len(group.order_keys),
                quantity=group.quantity,
                crossed=group.crossed,
            )
        )
        return parent
    parent.quantity += group.quantity
    parent.crossed_quantity += group.crossed
    parent.filled_quantity += group.crossed
    parent.filled_notional += cross_notional
    parent.crossed_notional += cross_notional
    fields = ["quantity", "crossed_quantity", "filled_quantity", "filled_notional", "crossed_notional", "updated_at"]
    if parent.status == ParentStatus.WORKING:
        # The new orders get at least their own horizon: the schedule stretches, never squeezes.
        wanted_end = min(market.now + timedelta(seconds=HORIZON_FOR_URGENCY[urgency]), market.close)
        if wanted_end > parent.end:
            parent.end = wanted_end
            fields.append("end")
    parent.save(update_fields=fields)
    audit.append(
        _audit(
            "parent.topped_up",
            actor,
            parent=parent,
            orders=len(group.order_keys),
            quantity=group.quantity,
            crossed=group.crossed,
            total=parent.quantity,
            end=parent.end.isoformat() if parent.end else None,
        )
    )
    return parent


def _parent_filled_by_crosses(parent: ParentOrder, market, actor: str, audit: list[AuditEvent]) -> None:
    """A new parent crossed in full never goes to market: it is done at the cross."""
    parent.status = ParentStatus.FILLED
    parent.start = parent.end = market.now
    parent.arrival_price = market.mid
    parent.save(update_fields=["status", "start", "end", "arrival_price", "updated_at"])
    audit.append(
        _audit("parent.filled", actor, parent=parent, sim_time=market.now, reason="crossed internally in full")
    )


def _publish_order_ids(ids_by_owner: Mapping[int, list[int]]) -> None:
    for owner_id, ids in ids_by_owner.items():
        group = streams.user_orders_group(owner_id)
        if len(ids) > BROADCAST_ORDERS_MAX:
            streams.publish_on_commit(group, {"type": "orders_changed", "count": len(ids)})
            continue
        orders = Order.objects.filter(pk__in=ids).select_related("account", "instrument").order_by("id")
        streams.publish_on_commit(group, {"type": "order", "orders": [order_payload(o) for o in orders]})


# --- cancels, allocation and completion ------------------------------------------------------


@transaction.atomic
def order_cancel(*, order_id: int, cancelled_by) -> Order:
    """A trader withdraws an order's unfilled remainder.

    A pending order simply ends; an order already in a working parent shrinks the parent,
    which the next execution step sees (locks: session, parent, order, as a step does).
    """
    from routing.services import market_now_lock

    order = Order.objects.select_related("instrument", "account").get(pk=order_id)
    if order.account.owner_id != cancelled_by.pk:
        raise ValidationError({"order": "not your order"})
    if order.parent_id is not None:
        market_now_lock(instruments=[order.instrument])
        parent = (
            ParentOrder.objects.select_for_update(of=("self",)).select_related("instrument").get(pk=order.parent_id)
        )
    else:
        parent = None
    order = Order.objects.select_for_update(of=("self",)).select_related("instrument", "account").get(pk=order_id)
    cancellable = (OrderStatus.PENDING_AGGREGATION, OrderStatus.WORKING, OrderStatus.PARTIALLY_FILLED)
    if order.status not in cancellable or (parent is not None and parent.status not in PARENT_LIVE_STATUSES):
        raise ValidationError({"status": f"a {order.status} order cannot be cancelled"})
    unfilled = order.remaining_quantity
    actor = f"user:{cancelled_by.username}"
    audit = [
        _audit("order.cancelled", actor, order=order, parent=parent, unfilled=unfilled, reason="cancelled by trader")
    ]
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    if parent is not None:
        parent.quantity -= unfilled
        parent.save(update_fields=["quantity", "updated_at"])
        audit.append(_audit("parent.reduced", actor, parent=parent, order=order, quantity=unfilled))
        streams.publish_on_commit(streams.EXECUTION_GROUP, {"type": "parent", "parents": [parent_payload(parent)]})
    AuditEvent.objects.bulk_create(audit)
    if parent is not None and parent.quantity == parent.filled_quantity:
        parent_close(parent=parent, status=ParentStatus.FILLED, actor=actor, reason="remaining orders complete")
    _publish_orders([order])
    return order


def parent_fills_allocate(*, parent: ParentOrder, fills: Sequence) -> list[Order]:
    """Give a batch of the parent's fills (one step's) to its orders pro rata by remaining.

    Whole lots, largest remainder, earliest order first on a tie; see ``allocate_fills``.
    Runs inside the caller's transaction (the execution step). Returns the orders that changed.
    """
    orders = list(
        parent.orders.select_for_update(of=("self",))
        .filter(status__in=(OrderStatus.WORKING, OrderStatus.PARTIALLY_FILLED))
        .select_related("account", "instrument")
        .order_by("received_at", "id")
    )
    by_id = {o.pk: o for o in orders}
    fill_by_id = {f.pk: f for f in fills}
    rows = allocate_fills(
        [Supply(f.pk, f.quantity) for f in fills],
        [Demand(o.pk, o.remaining_quantity) for o in orders],
        parent.instrument.lot_size,
    )
    allocations = []
    for fill_id, order_id, quantity in rows:
        fill = fill_by_id[fill_id]
        order = by_id[order_id]
        order.filled_quantity += quantity
        order.filled_notional += quantity * fill.price
        allocations.append(
            Allocation(order=order, parent=parent, fill=fill, quantity=quantity, price=fill.price, venue=fill.venue)
        )
    Allocation.objects.bulk_create(allocations, batch_size=1000)
    changed = [by_id[order_id] for order_id in dict.fromkeys(order_id for _, order_id, _ in rows)]
    for order in changed:
        order.status = OrderStatus.FILLED if order.filled_quantity == order.quantity else OrderStatus.PARTIALLY_FILLED
    Order.objects.bulk_update(changed, ["filled_quantity", "filled_notional", "status", "updated_at"], 500)
    _publish_orders(changed)
    return changed


def parent_close(*, parent: ParentOrder, status: ParentStatus, actor: str, reason: str, finished=None) -> None:
    """End a parent; what was not filled goes back to its orders. Inside the caller's transaction.

    ``finished`` is the simulated time its execution ended, when it ran in the market.
    """
    parent.status = status
    parent.finished = finished
    parent.save(update_fields=["status", "finished", "updated_at"])
    audit = [_audit(f"parent.{status.lower()}", actor, parent=parent, reason=reason, filled=parent.filled_quantity)]
    open_orders = list(
        parent.orders.filter(status__in=(OrderStatus.WORKING, OrderStatus.PARTIALLY_FILLED)).select_related(
            "account", "instrument"
        )
    )
    order_status = OrderStatus.EXPIRED if status == ParentStatus.EXPIRED else OrderStatus.CANCELLED
    for order in open_orders:
        order.status = order_status
        audit.append(
            _audit(
                f"order.{order_status.lower()}",
                actor,
                order=order,
                parent=parent,
                unfilled=order.remaining_quantity,
                reason=reason,
            )
        )
    Order.objects.bulk_update(open_orders, ["status", "updated_at"])
    AuditEvent.objects.bulk_create(audit)
    _publish_orders(open_orders)


# --- risk limits -----------------------------------------------------------------------


@transaction.atomic
def risk_limits_set(*, account: Account, actor: str, restricted_instruments: Iterable[Instrument], **limits):
    """Give an account its own limits (every field; None switches a check off), audited with before and after."""
    row = RiskLimits.objects.select_for_update().filter(account=account).first()
    before = risk_limits_payload(account) if row else {"account": account.code, "source": "desk default"}
    if row is None:
        row = RiskLimits(account=account)
    for field in RISK_LIMIT_FIELDS:
        setattr(row, field, limits[field])
    row.save()
    row.restricted_instruments.set(restricted_instruments)
    after = risk_limits_payload(account)
    _audit("risk_limits.changed", actor, before=before, after=after).save()
    return row
