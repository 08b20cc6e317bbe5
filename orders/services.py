"""Business operations on orders and parent orders. Each owns its transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from smarttrading import streams

from .domain.aggregation import PendingOrder, group_orders
from .domain.allocation import Demand, allocate_pro_rata
from .domain.values import PriceError, Side, parse_decimal, price_to_ticks
from .models import (
    Account,
    Allocation,
    AuditEvent,
    Instrument,
    Order,
    OrderStatus,
    ParentOrder,
    ParentStatus,
    Source,
    Strategy,
    Urgency,
)
from .payloads import order_payload, parent_payload

# The strategy mandate an urgency implies when the order names no strategy.
STRATEGY_FOR_URGENCY = {Urgency.LOW: Strategy.VWAP, Urgency.MEDIUM: Strategy.TWAP, Urgency.HIGH: Strategy.IS}
# Execution horizon in simulated seconds by urgency.
HORIZON_FOR_URGENCY = {Urgency.LOW: 60 * 60, Urgency.MEDIUM: 30 * 60, Urgency.HIGH: 10 * 60}
URGENCY_RANK = {Urgency.HIGH: 0, Urgency.MEDIUM: 1, Urgency.LOW: 2}


def _normalize_fields(
    *, account: Account, instrument: Instrument, side: str, quantity, limit_price, strategy, urgency
) -> dict:
    """Validate and normalize one order's fields; raises ValidationError with field errors."""
    errors: dict[str, str] = {}
    if str(side).upper() not in Side.__members__:
        errors["side"] = "must be BUY or SELL"
    try:
        quantity_value = parse_decimal(quantity)
        if quantity_value <= 0 or quantity_value != quantity_value.to_integral_value():
            raise PriceError("must be a positive whole number of shares")
        quantity_int = int(quantity_value)
        if quantity_int % instrument.lot_size:
            raise PriceError(f"must be a multiple of the lot size {instrument.lot_size}")
    except (PriceError, TypeError) as exc:
        errors["quantity"] = str(exc)
    limit = None
    if limit_price not in (None, ""):
        try:
            limit = parse_decimal(limit_price)
            price_to_ticks(limit, instrument.tick_size)
        except (PriceError, TypeError) as exc:
            errors["limit_price"] = str(exc)
    urgency_value = str(urgency or Urgency.MEDIUM).upper()
    if urgency_value not in Urgency.values:
        errors["urgency"] = f"must be one of {', '.join(Urgency.values)}"
    strategy_value = str(strategy).upper() if strategy else None
    if strategy_value and strategy_value not in Strategy.values:
        errors["strategy"] = f"must be one of {', '.join(Strategy.values)}"
    if errors:
        raise ValidationError(errors)
    return {
        "account": account,
        "instrument": instrument,
        "side": str(side).upper(),
        "quantity": quantity_int,
        "limit_price": limit,
        "urgency": urgency_value,
        "strategy": strategy_value or STRATEGY_FOR_URGENCY[Urgency(urgency_value)],
    }


def _audit(
    kind: str, actor: str, *, order: Order | None = None, parent: ParentOrder | None = None, **detail
) -> AuditEvent:
    return AuditEvent(kind=kind, actor=actor, order=order, parent=parent, detail=detail)


@transaction.atomic
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
    """Accept one order from any channel; returns ``(order, created)``.

    Idempotent on ``(account, client_order_id)``: a repeat returns the original order.
    """
    existing = Order.objects.filter(account=account, client_order_id=client_order_id).first()
    if existing is not None:
        return existing, False
    if account.owner_id != submitted_by.pk:
        raise ValidationError({"account": f"account {account.code} is not yours"})
    if not client_order_id:
        raise ValidationError({"client_order_id": "is required"})
    fields = _normalize_fields(
        account=account,
        instrument=instrument,
        side=side,
        quantity=quantity,
        limit_price=limit_price,
        strategy=strategy,
        urgency=urgency,
    )
    try:
        with transaction.atomic():  # savepoint: a concurrent twin loses the race cleanly
            order = Order.objects.create(
                submitted_by=submitted_by,
                client_order_id=client_order_id,
                source=Source(source),
                status=OrderStatus.PENDING_AGGREGATION,
                **fields,
            )
    except IntegrityError:
        return Order.objects.get(account=account, client_order_id=client_order_id), False
    actor = f"user:{submitted_by.username}"
    AuditEvent.objects.bulk_create(
        [
            _audit("order.received", actor, order=order, source=source),
            _audit("order.accepted", actor, order=order, status=OrderStatus.PENDING_AGGREGATION),
        ]
    )
    streams.publish_on_commit(
        streams.user_orders_group(account.owner_id), {"type": "order", "orders": [order_payload(order)]}
    )
    return order, True


@transaction.atomic
def aggregation_window_run(*, actor: str) -> list[ParentOrder]:
    """Group every order waiting for aggregation into parent orders and start them."""
    from routing.services import session_wake  # routing builds on orders, not the reverse

    pending = list(
        Order.objects.select_for_update()
        .filter(status=OrderStatus.PENDING_AGGREGATION)
        .select_related("instrument", "account")
        .order_by("id")
    )
    if not pending:
        return []
    by_id = {order.pk: order for order in pending}
    groups = group_orders(
        PendingOrder(o.pk, o.instrument.symbol, Side(o.side), o.strategy, o.limit_price, o.quantity) for o in pending
    )
    parents: list[ParentOrder] = []
    audit: list[AuditEvent] = []
    for group in groups:
        members = [by_id[key] for key in group.order_keys]
        urgency = min((Urgency(o.urgency) for o in members), key=URGENCY_RANK.__getitem__)
        parent = ParentOrder.objects.create(
            instrument=members[0].instrument,
            side=group.key.side.value,
            strategy=group.key.strategy,
            limit_price=group.key.limit_price,
            quantity=group.quantity,
            status=ParentStatus.NEW,
            duration_s=HORIZON_FOR_URGENCY[urgency],
        )
        Order.objects.filter(pk__in=group.order_keys).update(parent=parent, status=OrderStatus.WORKING)
        audit.append(_audit("parent.created", actor, parent=parent, orders=len(members), quantity=group.quantity))
        for order in members:
            order.parent, order.status = parent, OrderStatus.WORKING
            audit.append(_audit("order.aggregated", actor, order=order, parent=parent))
        parents.append(parent)
    AuditEvent.objects.bulk_create(audit)
    for instrument in {p.instrument for p in parents}:
        session_wake(instrument=instrument)
    for parent in parents:
        streams.publish_on_commit(streams.EXECUTION_GROUP, {"type": "parent", "parents": [parent_payload(parent)]})
    _publish_orders(pending)
    return parents


def _publish_orders(orders: Iterable[Order]) -> None:
    by_owner: dict[int, list[dict]] = defaultdict(list)
    for order in orders:
        by_owner[order.account.owner_id].append(order_payload(order))
    for owner_id, payloads in by_owner.items():
        streams.publish_on_commit(streams.user_orders_group(owner_id), {"type": "order", "orders": payloads})


def parent_fills_allocate(*, parent: ParentOrder, fills: Iterable) -> list[Order]:
    """Give each fill to the parent's orders pro rata by remaining quantity.

    Whole lots, largest remainder, earliest order first on a tie. Runs inside the
    caller's transaction (the execution step). Returns the orders that changed.
    """
    orders = list(
        parent.orders.select_for_update().select_related("account", "instrument").order_by("received_at", "id")
    )
    lot_size = parent.instrument.lot_size
    remaining = {o.pk: o.remaining_quantity for o in orders}
    notional: dict[int, Decimal] = defaultdict(Decimal)
    allocations: list[Allocation] = []
    for fill in fills:
        demands = [Demand(o.pk, remaining[o.pk]) for o in orders if remaining[o.pk]]
        for order_id, quantity in allocate_pro_rata(fill.quantity, demands, lot_size).items():
            allocations.append(
                Allocation(
                    order_id=order_id,
                    parent=parent,
                    fill=fill,
                    quantity=quantity,
                    price=fill.price,
                    venue=fill.venue,
                )
            )
            remaining[order_id] -= quantity
            notional[order_id] += quantity * fill.price
    Allocation.objects.bulk_create(allocations)
    changed = []
    for order in orders:
        if order.pk in notional:
            order.filled_quantity = order.quantity - remaining[order.pk]
            order.filled_notional += notional[order.pk]
            order.status = OrderStatus.FILLED if not remaining[order.pk] else OrderStatus.PARTIALLY_FILLED
            changed.append(order)
    Order.objects.bulk_update(changed, ["filled_quantity", "filled_notional", "status", "updated_at"])
    _publish_orders(changed)
    return changed


def parent_close(*, parent: ParentOrder, status: ParentStatus, actor: str, reason: str) -> None:
    """End a parent; what was not filled goes back to its orders. Inside the caller's transaction."""
    parent.status = status
    parent.save(update_fields=["status", "updated_at"])
    audit = [_audit(f"parent.{status.lower()}", actor, parent=parent, reason=reason, filled=parent.filled_quantity)]
    open_orders = list(parent.orders.exclude(status=OrderStatus.FILLED).select_related("account", "instrument"))
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
