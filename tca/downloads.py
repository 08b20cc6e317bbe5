"""TCA downloads: a zip of CSVs (one rectangular table per file), XLSX (summary sheet first,
typed and formatted cells) and a self-contained HTML report, for a parent or a desk report."""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path

import plotly
from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.styles import Font

from smarttrading.spreadsheets import safe_cell

from .payloads import PARENT_SUMMARY_COLUMNS

HTML_ROWS = 200  # the HTML report cuts longer tables (a page to read and print); CSV and XLSX hold every row
# Columns of names and identifiers: text in a workbook even when they look like numbers
# (a client order id "00830" or "1E9" must come back as it was sent).
TEXT_COLUMNS = frozenset(
    {"client_order_id", "trader", "account", "instrument", "venue", "side", "strategy", "status", "tactic",
     "order_type", "liquidity", "group", "algorithm", "figure", "part"}
)  # fmt: skip
# Exchange times (New York wall clock: a workbook has no time zones) and dates, as Excel's own.
TIME_COLUMNS = frozenset({"time", "start", "end"})
DATE_COLUMNS = frozenset({"trading_date"})
NUMERAL = re.compile(r"-?\d+(\.\d+)?")  # how the reports spell every number: no exponent, no inf
TIME_FORMAT, DATE_FORMAT = "yyyy-mm-dd hh:mm:ss.000", "yyyy-mm-dd"  # Excel keeps milliseconds
SHARES, PRICE, MONEY, BPS, RATIO, SCORE = "#,##0", "#,##0.0000", "#,##0.00####", "0.00", "0.00%", "0.0000"
FIGURE_TABLES = (["figure", "value"], ["part", "value"])  # one figure a row: formatted by its name


def number_format(name: str) -> str | None:
    """Excel's format for a figure, by its name: shares with separators, prices to 4 places,
    money to the cent, bps to 2, rates as percentages; None leaves it General."""
    if name.endswith("_bps") or "(bps" in name:
        return BPS
    if name.endswith(("rate", "participation")):
        return RATIO
    if "price" in name or "vwap" in name or name == "arrival" or name.startswith(("benchmark", "mid_")):
        return PRICE
    if name == "spread_capture":
        return SCORE
    if name.startswith("fee") or name in ("cross_savings", "notional", "delay", "trading", "opportunity", "total"):
        return MONEY
    if "quantity" in name or name in ("market_volume", "children_sent", "parents"):
        return SHARES
    return None


def report_tables(payload: dict) -> list[tuple[str, list[str], list[list]]]:
    """The report as named tables: summary, shortfall, venues, children, orders, fills."""
    summary_keys = [
        "parent", "instrument", "side", "strategy", "status", "complete", "trading_date", "start", "end",
        "quantity", "filled_quantity", "crossed_quantity", "average_price", "fees", "fill_rate",
        "participation", "market_volume", "cross_savings", "spread_capture",
    ]  # fmt: skip
    summary = [[key, payload[key]] for key in summary_keys]
    summary += [[f"benchmark {k}", v] for k, v in payload["benchmarks"].items()]
    summary += [[f"performance vs {k} (bps, + better)", v] for k, v in payload["performance_bps"].items()]
    summary += [[f"mark-out +{h}s (bps, + our way)", v] for h, v in payload["markouts_bps"].items()]
    shortfall = [[k, v] for k, v in payload["shortfall"].items()]
    venue_head = ["venue", "quantity", "average_price", "fees", "children_sent", "child_fill_rate",
                  "performance_vs_child_vwap_bps", "performance_vs_interval_vwap_bps", "spread_capture"]  # fmt: skip
    venues = [[venue] + [figures[k] for k in venue_head[1:]] for venue, figures in payload["venues"].items()]
    child_head = ["child", "time", "venue", "tactic", "order_type", "quantity", "price", "benchmark_vwap",
                  "performance_bps", "fees"]  # fmt: skip
    children = [[c[k] for k in child_head] for c in payload["children"]]
    # the total in a table of its own: a TOTAL row inside the data doubles a column's sum
    total = payload["children_total"]
    children_total = [[total[k] for k in child_head[2:]]] if total else []
    order_head = ["order", "client_order_id", "trader", "account", "side", "quantity", "filled_quantity",
                  "crossed_quantity", "average_price", "decision_price",
                  "performance_vs_interval_vwap_bps"]  # fmt: skip
    orders = [[o[k] for k in order_head] + [o["shortfall"]["total_bps"]] for o in payload["orders"]]
    fill_head = ["fill", "child", "time", "venue", "liquidity", "quantity", "price", "fee", "child_vwap",
                 "spread_capture"]  # fmt: skip
    fills = [[f[k] for k in fill_head] + list(f["markout_mids"].values()) for f in payload.get("fills", [])]
    horizons = [f"mid_+{h}s" for h in payload["markouts_bps"]]
    return [
        ("Summary", ["figure", "value"], summary),
        ("Shortfall", ["part", "value"], shortfall),
        ("Venues", venue_head, venues),
        ("Children", child_head, children),
        ("Children total", child_head[2:], children_total),
        ("Orders", [*order_head, "shortfall_total_bps"], orders),
        ("Fills", fill_head + horizons, fills),
    ]


def desk_tables(payload: dict) -> list[tuple[str, list[str], list[list]]]:
    """A desk report as named tables: totals, each grouping, then every parent."""
    group_head = ["parents", "quantity", "average_price", "fees", "children_sent", "child_fill_rate",
                  "performance_vs_child_vwap_bps", "performance_vs_interval_vwap_bps",
                  "performance_vs_arrival_bps", "spread_capture"]  # fmt: skip
    horizons = list(payload["totals"]["markouts_bps"])

    def rows(groups: dict) -> list[list]:
        return [
            [name]
            + [g[k] for k in group_head]
            + [g["shortfall"]["total_bps"]]
            + [g["markouts_bps"][h] for h in horizons]
            for name, g in groups.items()
        ]

    head = [*group_head, "shortfall_total_bps", *(f"markout_+{h}s_bps" for h in horizons)]
    return [
        ("Totals", ["group", *head], rows({"all": payload["totals"]})),
        ("By algorithm", ["algorithm", *head], rows(payload["by_algorithm"])),
        ("By venue", ["venue", *head], rows(payload["by_venue"])),
        ("By instrument", ["instrument", *head], rows(payload["by_instrument"])),
        ("By day", ["trading_date", *head], rows(payload["by_day"])),
        ("Parents", list(PARENT_SUMMARY_COLUMNS), [[p[c] for c in PARENT_SUMMARY_COLUMNS] for p in payload["parents"]]),
    ]


@dataclass(frozen=True)
class Document:
    """A report to download: titled tables, sign conventions and plotly figures."""

    name: str  # the file name, without its extension
    title: str
    subtitle: str
    signs: dict[str, str]
    tables: list[tuple[str, list[str], list[list]]]
    charts: dict[str, dict] = field(default_factory=dict)


def table_csv(head: list[str], rows: list[list]) -> str:
    """One rectangular table: its header, then its rows, every cell escaped."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(head)
    writer.writerows([[safe_cell(v) for v in row] for row in rows])
    return out.getvalue()


def document_zip(doc: Document) -> bytes:
    """A zip of CSVs, one per table (each loads as it is into a spreadsheet or a data frame),
    with the title and the sign conventions in README.txt."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        about = [doc.title, doc.subtitle, "", "Signs:", *(f"  {k}: {text}" for k, text in doc.signs.items())]
        archive.writestr(f"{doc.name}/README.txt", "\n".join(about) + "\n")
        for number, (title, head, rows) in enumerate(doc.tables, start=1):
            slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
            archive.writestr(f"{doc.name}/{number:02d}-{slug}.csv", table_csv(head, rows))
    return out.getvalue()


def document_xlsx(doc: Document) -> bytes:
    """A workbook: the first table's sheet first, then one sheet per table, then the signs."""
    book = Workbook()
    book.remove(book.active)
    for title, head, rows in doc.tables:
        sheet = book.create_sheet(title)
        sheet.append(head)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        text = [column in TEXT_COLUMNS for column in head]
        by_figure = head[:2] in FIGURE_TABLES
        for row in rows:
            names = [head[0], row[0]] if by_figure else head
            sheet.append([_xlsx_value(v, as_text=t, column=c) for v, t, c in zip(row, text, names, strict=False)])
        _formats(sheet, head)
        sheet.freeze_panes = "A2"
    notes = book.create_sheet("Signs")
    for key, text in {**doc.signs, "times": "exchange wall time (New York)"}.items():
        notes.append([key, text])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _formats(sheet, head: list[str]) -> None:
    """Each column's Excel format and a width its header fits; a two-column figure/value sheet
    is formatted row by row, by the figure's name."""
    for index, name in enumerate(head, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(10, min(40, len(name) + 2))
    if head[:2] in FIGURE_TABLES:
        sheet.column_dimensions["A"].width = 40
        rows = [(row[0].value, row[1]) for row in sheet.iter_rows(min_row=2, max_col=2)]
    else:
        rows = [(name, cell) for name, column in zip(head, sheet.iter_cols(min_row=2), strict=False) for cell in column]
    for name, cell in rows:
        if isinstance(cell.value, datetime):
            cell.number_format = TIME_FORMAT
        elif isinstance(cell.value, date):
            cell.number_format = DATE_FORMAT
        elif isinstance(cell.value, int | float) and not isinstance(cell.value, bool) and (fmt := number_format(name)):
            cell.number_format = fmt


def _xlsx_value(value, *, as_text: bool = False, column: str = ""):
    """Numbers as numbers (so analysts can sum them), times and dates as Excel's own, names
    and ids as the text they are, text escaped like the CSV."""
    if isinstance(value, bool) or value is None:
        return value
    if column in TIME_COLUMNS and isinstance(value, str) and value:
        return datetime.fromisoformat(value).replace(tzinfo=None)  # exchange wall time
    if column in DATE_COLUMNS and isinstance(value, str) and value:
        return date.fromisoformat(value)
    if isinstance(value, int) and not as_text:
        return value
    text = str(value)
    if not as_text and NUMERAL.fullmatch(text):
        return float(text) if "." in text else int(text)
    return safe_cell(text)


@cache
def plotly_js_gzip_base64() -> str:
    """plotly.js gzipped and base64-encoded: the self-contained report carries 2 MB, not 4.8,
    and unpacks it in the browser (DecompressionStream, in every current browser)."""
    minified = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    return base64.b64encode(gzip.compress(minified, compresslevel=9, mtime=0)).decode("ascii")


def document_html(doc: Document) -> str:
    """A single file that works offline: plotly.js inline (compressed), charts and tables (long
    ones cut), print styles for PDF."""
    return render_to_string(
        "tca/report.html",
        {
            "doc": doc,
            "tables": [(title, head, rows[:HTML_ROWS], len(rows) > HTML_ROWS) for title, head, rows in doc.tables],
            "html_rows": HTML_ROWS,
            "charts_json": json.dumps(doc.charts).replace("<", "\\u003c"),  # safe inside <script>
            "plotly_gzip_base64": plotly_js_gzip_base64(),
        },
    )
