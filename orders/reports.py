"""Execution reports: what each change of an order tells its client, added in the transaction
that made the change (see ``ExecutionReport``), so a gateway that sends them after commit
can lose none and invent none."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone

from smarttrading import bulk_sql

from .domain.lifecycle import FINISHED
from .models import ExecutionReport, Order

FIELDS = (
    "order",
    "exec_type",
    "order_status",
    "client_order_id",
    "orig_client_order_id",
    "order_quantity",
    "limit_price",
    "last_quantity",
    "last_price",
    "last_market",
    "cum_quantity",
    "leaves_quantity",
    "average_price",
    "text",
    "created_at",
)
ExecType = ExecutionReport.ExecType


CANCEL_ANSWERS = (ExecType.PENDING_CANCEL, ExecType.CANCELED)


def execution_report(
    order: Order,
    exec_type: str,
    *,
    text: str = "",
    orig_client_order_id: str = "",
    last_quantity: int = 0,
    last_price: Decimal | None = None,
    last_market: str = "",
    cum_quantity: int | None = None,
    average_price: Decimal | None = None,
    status: str | None = None,
) -> tuple:
    """The report of ``order`` as it stands now, as a row of ``FIELDS``. A fill report of one
    allocation among several of a step passes the order's running ``cum_quantity``,
    ``average_price`` and ``status`` after that allocation."""
    cum = order.filled_quantity if cum_quantity is None else cum_quantity
    status = order.status if status is None else status
    client_order_id = order.client_order_id
    if exec_type in CANCEL_ANSWERS and order.cancel_client_order_id:  # FIX: a cancel's reports carry its own
        client_order_id, orig_client_order_id = order.cancel_client_order_id, order.client_order_id
    leaves = 0 if status in FINISHED else max(0, order.quantity - order.cancelled_quantity - cum)
    return (
        order.pk,
        exec_type,
        status,
        client_order_id,
        orig_client_order_id,
        order.quantity,
        order.limit_price,
        last_quantity,
        last_price,
        last_market,
        cum,
        leaves,
        order.average_price if average_price is None else average_price,
        text[:300],
        timezone.now(),
    )


def execution_reports_add(rows: Iterable[tuple]) -> None:
    """Insert report rows (from ``execution_report``) in the caller's transaction."""
    bulk_sql.insert_rows(ExecutionReport, FIELDS, rows)
