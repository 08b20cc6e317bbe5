"""Fills given back to the original orders."""

from __future__ import annotations

from collections.abc import Sequence

from ..audit import ENGINE, order_cancelled_event
from ..broadcasts import orders_publish
from ..domain.allocation import Demand, Supply, allocate_fills
from ..domain.lifecycle import after_fill
from ..locks import working_orders_lock
from ..models import Allocation, AuditEvent, Order, OrderStatus, ParentOrder
from ..reports import ExecType, execution_report, execution_reports_add


def parent_fills_allocate(*, parent: ParentOrder, fills: Sequence) -> list[Order]:
    """Give a batch of the parent's fills (one step's) to its orders pro rata by remaining.

    Whole lots, largest remainder, earliest order first on a tie; see ``allocate_fills``.
    Runs inside the caller's transaction (the execution step). Returns the orders that changed.
    """
    orders = list(working_orders_lock(parent))
    by_id = {o.pk: o for o in orders}
    fill_by_id = {f.pk: f for f in fills}
    rows = allocate_fills(
        [Supply(f.pk, f.quantity) for f in fills],
        [Demand(o.pk, o.remaining_quantity) for o in orders],
        parent.instrument.lot_size,
    )
    allocations, reports = [], []
    for fill_id, order_id, quantity in rows:
        fill = fill_by_id[fill_id]
        order = by_id[order_id]
        order.filled_quantity += quantity
        order.filled_notional += quantity * fill.price
        allocations.append(
            Allocation(order=order, parent=parent, fill=fill, quantity=quantity, price=fill.price, venue=fill.venue)
        )
        # A fill report per allocation, with the order as it stands after it.
        status = after_fill(order.status, remaining=order.remaining_quantity, cancelled=order.cancelled_quantity)
        reports.append(
            execution_report(
                order,
                ExecType.TRADE,
                status=status,
                last_quantity=quantity,
                last_price=fill.price,
                last_market=fill.venue,
                average_price=order.average_price,
            )
        )
    Allocation.objects.bulk_create(allocations, batch_size=1000)
    execution_reports_add(reports)
    changed = [by_id[order_id] for order_id in dict.fromkeys(order_id for _, order_id, _ in rows)]
    cancels_done, cancel_reports = [], []
    for order in changed:
        was = order.status
        order.status = after_fill(order.status, remaining=order.remaining_quantity, cancelled=order.cancelled_quantity)
        if order.status == OrderStatus.CANCELLED:  # the last shares out at venues filled: the cancel is done
            cancels_done.append(order_cancelled_event(order, ENGINE, parent=parent, was=was))
            cancel_reports.append(execution_report(order, ExecType.CANCELED, text=cancels_done[-1].detail["reason"]))
    Order.objects.bulk_save(changed, ["filled_quantity", "filled_notional", "status"], 500)
    if cancels_done:  # rare: no empty COPY on every step's allocation
        AuditEvent.objects.bulk_create(cancels_done)
        execution_reports_add(cancel_reports)
    orders_publish(changed)
    return changed
