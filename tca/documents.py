"""Reads that assemble what a TCA page or download shows: one parent, or a finished desk job."""

from __future__ import annotations

from django.http import HttpResponse

from orders.models import ParentOrder
from routing.selectors import parent_schedule

from .charts import comparison_charts, parent_charts
from .downloads import Document, desk_tables, document_html, document_xlsx, document_zip, report_tables
from .figures import ParentReport
from .models import TcaJob
from .payloads import SIGN_CONVENTIONS, desk_in_order, parent_report_payload
from .reports import parent_report

CONTENT_TYPES = {
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


def latest_comparison(parent: ParentOrder) -> TcaJob | None:
    return TcaJob.objects.filter(kind=TcaJob.Kind.COUNTERFACTUAL, parent=parent).select_related("requested_by").first()


def comparison_table(comparison: dict) -> tuple[str, list[str], list[list]]:
    head = ["execution", "algorithm", "as_run", "filled", "fill_rate", "average_price", "arrival",
            "performance_vs_arrival_bps", "interval_vwap", "performance_vs_interval_vwap_bps", "shortfall_bps",
            "delay_bps", "trading_bps", "opportunity_bps", "fees_bps", "fees", "participation", "dark_share",
            "children", "last_fill_s"]  # fmt: skip
    rows = []
    for run in comparison["runs"]:
        shortfall = run["shortfall"] or {}
        rows.append(
            [run["label"], run["strategy"], run["as_run"], run["filled"], run["fill_rate"], run["average_price"],
             run["arrival"], run["performance_vs_arrival_bps"], run["interval_vwap"],
             run["performance_vs_interval_vwap_bps"], shortfall.get("total_bps"), shortfall.get("delay_bps"),
             shortfall.get("trading_bps"), shortfall.get("opportunity_bps"), shortfall.get("fees_bps"), run["fees"],
             run["participation"], run["dark_share"], run["children"], run["finished_s"]]
        )  # fmt: skip
    return ("Algorithms", head, rows)


def paths_table(comparison: dict) -> tuple[str, list[str], list[list]]:
    """Each algorithm's shortfall over the further paths: expected cost, its spread and its
    paired excess over the cheapest."""
    head = ["algorithm", "strategy", "paths", "mean_shortfall_bps", "standard_error_bps", "stdev_bps", "p5_bps",
            "p25_bps", "p50_bps", "p75_bps", "p95_bps", "excess_over_lowest_bps", "excess_standard_error_bps",
            "significantly_costlier", "mean_fill_rate", "lowest_expected_cost"]  # fmt: skip
    rows = []
    for d in comparison["distributions"]:
        excess = d["excess"] or {}
        rows.append(
            [d["label"], d["strategy"], comparison["paths"], d["mean_bps"], d["standard_error_bps"], d["stdev_bps"],
             d["p5_bps"], d["p25_bps"], d["p50_bps"], d["p75_bps"], d["p95_bps"], excess.get("mean_bps"),
             excess.get("standard_error_bps"), excess.get("significant"), d["mean_fill_rate"],
             d["label"] == comparison["best"]]
        )  # fmt: skip
    return ("Paths", head, rows)


def parent_document(parent: ParentOrder, report: ParentReport | None = None) -> Document:
    """The parent's report to download, with its algorithm comparison when one is done."""
    report = report or parent_report(parent)
    payload = parent_report_payload(report)
    charts = parent_charts(report, parent_schedule(parent))
    tables = report_tables(payload)
    comparison = latest_comparison(parent)
    if comparison is not None and comparison.status == TcaJob.Status.DONE:
        tables.insert(2, comparison_table(comparison.result))
        if comparison.result.get("distributions"):
            tables.insert(3, paths_table(comparison.result))
        charts.update(comparison_charts(comparison.result))
    subtitle = (
        f"{parent.side} {parent.quantity} {parent.instrument.symbol} · {parent.strategy} · {parent.status} · "
        f"trading date {payload['trading_date']} · {payload['start']} → {payload['end']}"
        + ("" if report.complete else " · still working: figures will move")
    )
    return Document(
        name=f"tca-parent-{parent.pk}",
        title=f"Transaction cost analysis · parent {parent.pk}",
        subtitle=subtitle,
        signs=SIGN_CONVENTIONS,
        tables=tables,
        charts=charts,
    )


def desk_document(job: TcaJob) -> Document:
    desk = desk_in_order(job.result["desk"])
    filters = ", ".join(f"{k} {v}" for k, v in job.filters.items()) or "all parents"
    return Document(
        name=f"tca-desk-report-{job.pk}",
        title=f"Transaction cost analysis · desk report {job.pk}",
        subtitle=f"{len(desk['parents']):,} parents · {filters} · built {job.finished_at:%Y-%m-%d %H:%M} UTC",
        signs=desk["signs"],
        tables=desk_tables(desk),
        charts=job.result["charts"],
    )


def document_response(doc: Document, kind: str) -> HttpResponse:
    """The document as an attachment: zip (a CSV per table), xlsx or html."""
    render = {"zip": document_zip, "xlsx": document_xlsx, "html": document_html}[kind]
    response = HttpResponse(render(doc), content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{doc.name}.{kind}"'
    return response
