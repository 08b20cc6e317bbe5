"""Aggregation windows: pending orders netted, crossed at the mid, and grouped into parents."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from orders.audit import audit_event
from orders.broadcasts import order_ids_publish
from orders.domain.aggregation import OrderGroup, PendingOrder, plan_window
from orders.domain.instructions import Instructions
from orders.domain.lifecycle import OrderEvent, after_fill, order_transition
from orders.domain.urgency import URGENCY_TERMS, most_urgent
from orders.domain.values import Side, average_price
from orders.models import (
    PARENT_LIVE_STATUSES,
    Allocation,
    AuditEvent,
    Instrument,
    InternalCross,
    Order,
    OrderStatus,
    ParentOrder,
    ParentStatus,
)
from orders.reports import ExecType, execution_reports_add
from smarttrading import bulk_sql, streams

from ..locks import parents_lock, pending_orders_lock
from ..payloads import parent_payload
from .sessions import market_now_lock, session_wake

INTERNAL = Allocation.INTERNAL_VENUE


@transaction.atomic
def aggregation_window_run(*, actor: str) -> list[ParentOrder]:
    """Net, cross and group every order waiting for aggregation into parents, and start them.

    Opposing orders cross at the NBBO mid (venue INTERNAL); each group then tops up the
    live parent with the same key, or becomes a new parent, and only the part not crossed
    is worked in the market. Locks: pending orders, then market sessions, then parents,
    each in id order; an execution step takes sessions, then parents, so they never deadlock.
    """

    # An order an amend moved here from its old parent brings its fills: only the rest is new work.
    pending = list(
        pending_orders_lock()
        .annotate(leaves=F("quantity") - F("filled_quantity") - F("cancelled_quantity"))
        .values_list(
            *("id", "instrument_id", "side", "strategy", "limit_price", "leaves", "urgency", "account__owner_id"),
            *("instructions", "filled_quantity", "filled_notional", "client_order_id", "quantity"),
        )
    )
    if not pending:
        return []
    instruments = Instrument.objects.in_bulk({row[1] for row in pending})
    markets = market_now_lock(instruments=instruments.values())
    symbol_of = {pk: i.symbol for pk, i in instruments.items()}
    plan = plan_window(
        [
            PendingOrder(
                row[0], symbol_of[row[1]], Side(row[2]), row[3], row[4], row[5], Instructions.from_json(row[8])
            )
            for row in pending
        ],
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
    working = order_transition(OrderStatus.PENDING_AGGREGATION, OrderEvent.AGGREGATED)
    rejoined = order_transition(working, OrderEvent.PARTLY_FILLED)  # moved by an amend, with its fills
    aggregated = {"transition": [OrderStatus.PENDING_AGGREGATION, working]}
    aggregated_with_fills = {"transition": [OrderStatus.PENDING_AGGREGATION, rejoined]}
    for cross, planned in zip(crosses, plan.crosses, strict=True):
        for side in (planned.buys, planned.sells):
            crossed.update((order_id, (cross, shares)) for order_id, shares in side.items())
        audit.append(
            audit_event(
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
    reports: list[tuple] = []  # a fill report per crossed order
    working_ids: dict[int, list[int]] = defaultdict(list)  # parent id -> orders not crossed
    rejoined_ids: dict[int, list[int]] = defaultdict(list)  # of those, orders with fills from an old parent
    for group in plan.groups:
        instrument = by_symbol[group.key.instrument]
        market = markets[instrument.pk]
        urgency = most_urgent(row_of[key][6] for key in group.order_keys)
        parent = _parent_for_group(group, instrument, urgency, live, market, actor, audit)
        group_cross: InternalCross | None = None
        for order_id in group.order_keys:
            prior_filled, prior_notional = row_of[order_id][9], row_of[order_id][10]
            if order_id not in crossed:
                detail = aggregated_with_fills if prior_filled else aggregated
                (rejoined_ids if prior_filled else working_ids)[parent.pk].append(order_id)
                order_audit.append(("order.aggregated", actor, now, None, order_id, parent.pk, detail))
                continue
            group_cross, shares = crossed[order_id]
            leaves = row_of[order_id][5]
            status = after_fill(OrderStatus.PENDING_AGGREGATION, remaining=leaves - shares, cancelled=0)
            notional = shares * group_cross.price
            crossed_orders.append((parent.pk, prior_filled + shares, prior_notional + notional, status, now, order_id))
            cum = prior_filled + shares
            reports.append(
                (
                    *(order_id, ExecType.TRADE, status, row_of[order_id][11], "", row_of[order_id][12]),
                    *(row_of[order_id][4], shares, group_cross.price, INTERNAL, cum, leaves - shares),
                    *(average_price(prior_notional + notional, cum), "", now),
                )
            )
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
                audit_event(
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

    for status, by_parent in ((working, working_ids), (rejoined, rejoined_ids)):
        for parent_id, order_ids in by_parent.items():
            bulk_sql.update_in(Order, ("parent", "status", "updated_at"), (parent_id, status, now), order_ids)
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
    execution_reports_add(reports)
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
    order_ids_publish(owners)
    return unique_parents


def _live_parents_lock(*, instruments: Iterable[Instrument]) -> dict[tuple, ParentOrder]:
    """The oldest NEW or WORKING parent per group key: new orders top it up rather than race it.

    A PAUSED parent is left alone: a supervisor stopped it, new orders should not wait on it.
    """
    parents = parents_lock(Q(instrument__in=list(instruments), status__in=(ParentStatus.NEW, ParentStatus.WORKING)))
    live: dict[tuple, ParentOrder] = {}
    for parent in parents:
        key = (parent.instrument.symbol, parent.side, parent.strategy, parent.limit_price)
        live.setdefault((*key, Instructions.from_json(parent.instructions)), parent)
    return live


def _parent_for_group(group: OrderGroup, instrument, urgency, live, market, actor, audit) -> ParentOrder:
    chosen = group.key.instructions
    key = (group.key.instrument, group.key.side.value, group.key.strategy, group.key.limit_price, chosen)
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
            duration_s=URGENCY_TERMS[urgency].horizon_s,
            urgency=urgency,
            max_participation=chosen.max_participation or URGENCY_TERMS[urgency].max_participation,
            aggressiveness=URGENCY_TERMS[urgency].aggressiveness
            if chosen.aggressiveness is None
            else chosen.aggressiveness,
            instructions=chosen.as_json(),
        )
        live[key] = parent
        audit.append(
            audit_event(
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
    if parent.status == ParentStatus.WORKING and chosen.end_time is None:
        # The new orders get at least their own horizon: the schedule stretches, never squeezes.
        wanted_end = min(market.now + timedelta(seconds=URGENCY_TERMS[urgency].horizon_s), market.close)
        if wanted_end > parent.end:
            parent.end = wanted_end
            fields.append("end")
    parent.save(update_fields=fields)
    audit.append(
        audit_event(
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
        audit_event("parent.filled", actor, parent=parent, sim_time=market.now, reason="crossed internally in full")
    )
