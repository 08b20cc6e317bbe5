"""TCA downloads: CSV, XLSX (summary sheet first) and a self-contained HTML report, for a
parent or a desk report."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import plotly
from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.styles import Font

from smarttrading.spreadsheets import safe_cell

from .payloads import PARENT_SUMMARY_COLUMNS

HTML_ROWS = 2_000  # the HTML report cuts longer tables; CSV and XLSX hold every row
# Columns of names and identifiers: text in a workbook even when they look like numbers
# (a client order id "00830" or "1E9" must come back as it was sent).
TEXT_COLUMNS = frozenset(
    {"client_order_id", "trader", "account", "instrument", "venue", "side", "strategy", "status", "tactic",
     "order_type", "liquidity", "group", "algorithm", "figure", "part", "time", "start", "end", "trading_date"}
)  # fmt: skip
NUMERAL = re.compile(r"-?\d+(\.\d+)?")  # how the reports spell every number: no exponent, no inf


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
    if payload["children_total"]:
        children.append([payload["children_total"][k] for k in child_head])
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


def document_csv(doc: Document) -> str:
    """One CSV with a titled block per table (blank line between), every cell escaped."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(f"# {doc.title}"), safe_cell(doc.subtitle), *doc.signs.values()])
    for title, head, rows in doc.tables:
        writer.writerow([])
        writer.writerow([f"# {title}"])
        writer.writerow(head)
        writer.writerows([[safe_cell(v) for v in row] for row in rows])
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
        for row in rows:
            sheet.append([_xlsx_value(v, as_text=t) for v, t in zip(row, text, strict=False)])
        sheet.freeze_panes = "A2"
    notes = book.create_sheet("Signs")
    for key, text in doc.signs.items():
        notes.append([key, text])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value, *, as_text: bool = False):
    """Numbers as numbers (so analysts can sum them), names and ids as the text they are,
    text escaped like the CSV."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and not as_text:
        return value
    text = str(value)
    if not as_text and NUMERAL.fullmatch(text):
        return float(text) if "." in text else int(text)
    return safe_cell(text)


@cache
def plotly_js() -> str:
    return (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()


def document_html(doc: Document) -> str:
    """A single file: plotly.js inline, charts and tables (long ones cut), print styles for PDF."""
    return render_to_string(
        "tca/report.html",
        {
            "doc": doc,
            "tables": [(title, head, rows[:HTML_ROWS], len(rows) > HTML_ROWS) for title, head, rows in doc.tables],
            "html_rows": HTML_ROWS,
            "charts_json": json.dumps(doc.charts).replace("<", "\\u003c"),  # safe inside <script>
            "plotly_js": plotly_js(),
        },
    )
