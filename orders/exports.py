"""The blotter as a file: every order the trader's search finds (not only the page shown), as
CSV or as an XLSX of typed cells, with the figures the screen has no room for."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from smarttrading.spreadsheets import safe_cell

from .domain.values import quantize_price
from .models import Order

COLUMNS = (
    "id", "received_at", "client_order_id", "account", "instrument", "side", "quantity", "limit_price",
    "strategy", "urgency", "source", "status", "reject_reason", "filled_quantity", "cancelled_quantity",
    "leaves_quantity", "average_price", "arrival_price", "slippage_vs_arrival_bps", "first_fill", "last_fill",
    "parent",
)  # fmt: skip
TIMES = frozenset({"received_at", "first_fill", "last_fill"})  # exchange wall time (New York)
FORMATS = {
    "quantity": "#,##0", "filled_quantity": "#,##0", "cancelled_quantity": "#,##0", "leaves_quantity": "#,##0",
    "limit_price": "#,##0.00##", "average_price": "#,##0.0000##", "arrival_price": "#,##0.000#",
    "slippage_vs_arrival_bps": "0.00", "received_at": "yyyy-mm-dd hh:mm:ss", "first_fill": "yyyy-mm-dd hh:mm:ss",
    "last_fill": "yyyy-mm-dd hh:mm:ss",
}  # fmt: skip


def _values(order: Order, slippage: Decimal | None) -> list:
    average = order.average_price
    return [
        order.pk,
        _local(order.received_at),
        order.client_order_id,
        order.account.code,
        order.instrument.symbol,
        order.side,
        order.quantity,
        order.limit_price,
        order.strategy,
        order.urgency,
        order.source,
        order.status,
        order.reject_reason,
        order.filled_quantity,
        order.cancelled_quantity,
        order.remaining_quantity,
        None if average is None else quantize_price(average),
        order.arrival,
        slippage,
        _local(order.first_fill),
        _local(order.last_fill),
        order.parent_id,
    ]


def _local(value):
    """Exchange wall time, without a zone: what a spreadsheet shows and sorts."""
    return None if value is None else timezone.localtime(value).replace(tzinfo=None, microsecond=0)


class Echo:
    """A file for ``csv.writer`` that hands each line back: CSV streamed a line at a time."""

    def write(self, value):
        return value


def blotter_csv(rows: Iterable[tuple[Order, Decimal | None]]) -> Iterator[str]:
    """Streamed CSV lines: the header, then an order a line, every cell escaped."""
    writer = csv.writer(Echo())
    yield writer.writerow(COLUMNS)
    for order, slippage in rows:
        yield writer.writerow([safe_cell("" if v is None else v) for v in _values(order, slippage)])


def blotter_xlsx(rows: Iterable[tuple[Order, Decimal | None]]) -> bytes:
    """One sheet, typed cells: numbers as numbers in their formats, times as Excel times, text escaped."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Orders")
    sheet.freeze_panes = "A2"
    header = []
    for name in COLUMNS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for order, slippage in rows:
        line = []
        for name, value in zip(COLUMNS, _values(order, slippage), strict=True):
            if isinstance(value, Decimal):
                value = float(value)  # a spreadsheet's number; the file keeps every digit it can
            elif isinstance(value, str):
                value = safe_cell(value)
            cell = WriteOnlyCell(sheet, value=value)
            if name in FORMATS and value is not None:
                cell.number_format = FORMATS[name]
            line.append(cell)
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
