"""TCA reports as JSON-ready dicts: prices and money as strings, never binary floats."""

from __future__ import annotations

from decimal import Decimal

from orders.models import ParentOrder
from orders.payloads import iso_time
from routing.market.clock import NS_PER_S

from .counterfactual import AlternativeFigures, CostVerdict, ShortfallDistribution
from .figures import DeskReport, GroupFigures, ParentReport, ParentSummary
from .metrics import MARKOUT_HORIZONS_S, Shortfall

SIGN_CONVENTIONS = {
    "performance_bps": "positive = better than the benchmark (buy: (benchmark - price) / benchmark x 1e4)",
    "shortfall": "positive = cost, split into delay, trading, opportunity and fees (Kissell's expanded form)",
    "markouts_bps": "our price against the mid h seconds after the fill; positive = the market moved our way",
    "spread_capture": "share of the half spread earned: 1 at the near touch, 0 at the mid, -1 across",
}


def as_str(value, places: str | None = None) -> str | None:
    if value is None:
        return None
    return str(value.quantize(Decimal(places)) if places else value)


def shortfall_dict(shortfall: Shortfall) -> dict:
    return {
        "sign": "cost: positive = cost",
        "delay": as_str(shortfall.delay, "0.01"),
        "trading": as_str(shortfall.trading, "0.01"),
        "opportunity": as_str(shortfall.opportunity, "0.01"),
        "fees": as_str(shortfall.fees, "0.01"),
        "total": as_str(shortfall.total, "0.01"),
        "delay_bps": as_str(shortfall.delay_bps),
        "trading_bps": as_str(shortfall.trading_bps),
        "opportunity_bps": as_str(shortfall.opportunity_bps),
        "fees_bps": as_str(shortfall.fees_bps),
        "total_bps": as_str(shortfall.total_bps),
    }


def group_payload(figures: GroupFigures) -> dict:
    return {
        "parents": figures.parents,
        "quantity": figures.quantity,
        "average_price": as_str(figures.average_price),
        "fees": as_str(figures.fees),
        "children_sent": figures.children_sent,
        "child_fill_rate": as_str(figures.fill_rate, "0.0001"),
        "performance_vs_child_vwap_bps": as_str(figures.vs_child_vwap.performance_bps, "0.01"),
        "performance_vs_interval_vwap_bps": as_str(figures.vs_interval_vwap.performance_bps, "0.01"),
        "performance_vs_arrival_bps": as_str(figures.vs_arrival.performance_bps, "0.01"),
        "spread_capture": as_str(figures.spread_capture, "0.0001"),
        "markouts_bps": {str(h): as_str(t.performance_bps, "0.01") for h, t in figures.markouts.items()},
        "shortfall": shortfall_dict(figures.shortfall),
    }


def parent_report_payload(report: ParentReport, *, fills: bool = True) -> dict:
    parent = report.parent
    payload = {
        "parent": parent.id,
        "instrument": parent.instrument,
        "side": parent.side,
        "strategy": parent.strategy,
        "status": parent.status,
        "complete": report.complete,
        "trading_date": None if report.trading_date is None else str(report.trading_date),
        "start": iso_time(parent.start),
        "end": iso_time(parent.end),
        "finished": iso_time(parent.finished),
        "quantity": parent.quantity,
        "filled_quantity": parent.filled_quantity,
        "crossed_quantity": report.crossed_quantity,
        "average_price": as_str(parent.average_price, "0.000001"),
        "fees": as_str(parent.fees, "0.01"),
        "fill_rate": as_str(report.fill_rate, "0.0001"),
        "participation": as_str(report.participation, "0.0001"),
        "market_volume": report.market_volume,
        "cross_savings": as_str(report.cross_savings, "0.01"),
        "benchmarks": {k: as_str(v, "0.000001") for k, v in report.benchmarks.items()},
        "performance_bps": {k: as_str(v, "0.01") for k, v in report.performance_bps.items()},
        "shortfall": shortfall_dict(report.shortfall),
        "markouts_bps": {str(h): as_str(t.performance_bps, "0.01") for h, t in report.totals.markouts.items()},
        "spread_capture": as_str(report.totals.spread_capture, "0.0001"),
        "children": [child_payload(c) for c in report.children],
        "children_total": None if report.children_total is None else child_payload(report.children_total),
        "unfilled_children": report.unfilled_children,
        "orders": [
            {
                "order": o.order_id,
                "client_order_id": o.client_order_id,
                "trader": o.trader,
                "account": o.account,
                "side": o.side,
                "quantity": o.quantity,
                "filled_quantity": o.filled,
                "crossed_quantity": o.crossed,
                "average_price": as_str(o.average_price, "0.000001"),
                "decision_price": as_str(o.decision_price, "0.000001"),
                "performance_vs_interval_vwap_bps": as_str(o.performance_vs_vwap_bps, "0.01"),
                "shortfall": shortfall_dict(o.shortfall),
            }
            for o in report.orders
        ],
        "venues": {venue: group_payload(figures) for venue, figures in report.venues.items()},
        "signs": SIGN_CONVENTIONS,
    }
    if fills:
        payload["fills"] = [
            {
                "fill": f.fill_id,
                "child": f.child_id,
                "time": iso_time(f.time),
                "venue": f.venue,
                "liquidity": f.liquidity,
                "quantity": f.quantity,
                "price": str(f.price),
                "fee": as_str(f.fee, "0.000001"),
                "child_vwap": as_str(f.child_vwap, "0.000001"),
                "spread_capture": as_str(f.spread_capture, "0.0001"),
                "markout_mids": {str(h): as_str(f.markout_mids[h], "0.000001") for h in MARKOUT_HORIZONS_S},
            }
            for f in report.fills
        ]
    return payload


def child_payload(c) -> dict:
    return {
        "child": c.child_id or "TOTAL",
        "time": iso_time(c.time),
        "venue": c.venue,
        "tactic": c.tactic,
        "order_type": c.order_type,
        "quantity": c.quantity,
        "price": as_str(c.price, "0.000001"),
        "benchmark_vwap": as_str(c.benchmark_vwap, "0.000001"),
        "performance_bps": as_str(c.performance_bps, "0.01"),
        "fees": as_str(c.fees, "0.000001"),
    }


def desk_payload(desk: DeskReport) -> dict:
    def groups(by: dict[str, GroupFigures]) -> dict:
        return {key: group_payload(by[key]) for key in sorted(by)}

    return {
        "totals": group_payload(desk.totals),
        "by_algorithm": groups(desk.by_algorithm),
        "by_venue": groups(desk.by_venue),
        "by_instrument": groups(desk.by_instrument),
        "by_day": groups(desk.by_day),
        "parents": [parent_summary_payload(p) for p in desk.parents],
        "signs": SIGN_CONVENTIONS,
    }


def desk_in_order(desk: dict) -> dict:
    """A stored desk payload in the order it was built: PostgreSQL's jsonb keeps objects with their keys sorted."""
    return {
        **desk,
        **{by: dict(sorted(desk[by].items())) for by in ("by_algorithm", "by_venue", "by_instrument", "by_day")},
        "parents": [{column: row[column] for column in PARENT_SUMMARY_COLUMNS} for row in desk["parents"]],
    }


def parent_summary_payload(summary: ParentSummary) -> dict:
    return {
        "parent": summary.parent_id,
        "trading_date": None if summary.trading_date is None else str(summary.trading_date),
        "instrument": summary.instrument,
        "side": summary.side,
        "strategy": summary.strategy,
        "status": summary.status,
        "quantity": summary.quantity,
        "filled_quantity": summary.filled_quantity,
        "average_price": as_str(summary.average_price, "0.000001"),
        "arrival": as_str(summary.arrival, "0.000001"),
        "interval_vwap": as_str(summary.interval_vwap, "0.000001"),
        "performance_vs_arrival_bps": as_str(summary.performance_vs_arrival_bps, "0.01"),
        "performance_vs_interval_vwap_bps": as_str(summary.performance_vs_interval_vwap_bps, "0.01"),
        "shortfall_bps": as_str(summary.shortfall_bps, "0.01"),
        "participation": as_str(summary.participation, "0.0001"),
    }


PARENT_SUMMARY_COLUMNS = ("parent", "trading_date", "instrument", "side", "strategy", "status", "quantity",
                          "filled_quantity", "average_price", "arrival", "interval_vwap",
                          "performance_vs_arrival_bps", "performance_vs_interval_vwap_bps", "shortfall_bps",
                          "participation")  # fmt: skip


def job_payload(job) -> dict:
    """A TCA job's state for its progress bar (the result itself is fetched when done)."""
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "parent": job.parent_id,
        "filters": job.filters,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "requested_by": getattr(job.requested_by, "username", None),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def alternative_payload(figures: AlternativeFigures) -> dict:
    return {
        "label": figures.label,
        "strategy": figures.strategy,
        "as_run": figures.as_run,
        "quantity": figures.quantity,
        "filled": figures.filled,
        "fill_rate": as_str(figures.fill_rate, "0.0001"),
        "average_price": as_str(figures.average_price, "0.000001"),
        "fees": as_str(figures.fees, "0.01"),
        "arrival": as_str(figures.arrival, "0.000001"),
        "interval_vwap": as_str(figures.interval_vwap, "0.000001"),
        "market_volume": figures.market_volume,
        "participation": as_str(figures.participation, "0.0001"),
        "children": figures.children,
        "dark_share": as_str(figures.dark_share, "0.0001"),
        "finished_s": round(figures.finished_s, 1),
        "performance_vs_arrival_bps": as_str(figures.performance_vs_arrival_bps, "0.01"),
        "performance_vs_interval_vwap_bps": as_str(figures.performance_vs_interval_vwap_bps, "0.01"),
        "shortfall": None if figures.shortfall is None else shortfall_dict(figures.shortfall),
        "executed": [[round(ns / NS_PER_S, 3), filled] for ns, filled in figures.executed],
    }


PERCENTILES = (5, 25, 50, 75, 95)


def distribution_payload(distribution: ShortfallDistribution) -> dict:
    return {
        "label": distribution.label,
        "strategy": distribution.strategy,
        "mean_bps": as_str(distribution.mean_bps, "0.01"),
        "stdev_bps": as_str(distribution.stdev_bps, "0.01"),
        "standard_error_bps": as_str(distribution.standard_error_bps, "0.01"),
        **{f"p{p}_bps": as_str(distribution.percentile(p), "0.01") for p in PERCENTILES},
        "mean_fill_rate": as_str(distribution.mean_fill_rate, "0.0001"),
        "shortfalls_bps": [as_str(value, "0.01") for value in distribution.shortfalls_bps],
    }


def verdict_payload(verdict: CostVerdict | None) -> dict | None:
    if verdict is None:
        return None
    return {
        "leader": verdict.leader,
        "runner_up": verdict.runner_up.label,
        "lead_bps": as_str(verdict.runner_up.mean_bps, "0.01"),
        "lead_standard_error_bps": as_str(verdict.runner_up.standard_error_bps, "0.01"),
        "significant": verdict.significant,
        "costlier": [e.label for e in verdict.excess if e.significant],
        "excess": [
            {
                "label": e.label,
                "mean_bps": as_str(e.mean_bps, "0.01"),
                "standard_error_bps": as_str(e.standard_error_bps, "0.01"),
                "significant": e.significant,
            }
            for e in verdict.excess
        ],
    }


def comparison_payload(
    parent: ParentOrder,
    *,
    recorded: AlternativeFigures,
    replayed: list[AlternativeFigures],
    distributions: list[ShortfallDistribution],
    verdict: CostVerdict | None,
    caveats: list[str],
) -> dict:
    paths = len(distributions[0].shortfalls_bps) if distributions else 0
    excess = {e["label"]: e for e in (verdict_payload(verdict) or {}).get("excess", [])}
    return {
        "parent": parent.pk,
        "instrument": parent.instrument.symbol,
        "side": parent.side,
        "strategy": parent.strategy,
        "start": iso_time(parent.start),
        "end": iso_time(parent.end),
        "runs": [alternative_payload(f) for f in (recorded, *replayed)],  # the recorded execution first
        "paths": paths,
        "distributions": [{**distribution_payload(d), "excess": excess.get(d.label)} for d in distributions],
        "verdict": verdict_payload(verdict),
        "best": None if verdict is None else verdict.best,  # lowest expected cost, only when significant
        "caveats": caveats,
        "method": (
            "The session's market is rebuilt from its seed to the parent's start with no parents trading, "
            "then each algorithm runs the parent alone, with its limit, participation cap, aggressiveness and "
            "routing, on an identical copy: the same background flow and news; they differ only by their own "
            f"impact. Each also runs on {paths} further futures of the same market from the parent's start, "
            "with news and flow of their own, in antithetic pairs (mirrored news), so that one path's drift "
            "does not pick the winner: the lowest expected cost is named only when its lead over every other "
            "algorithm is significant at 95% on the paired paths. Shortfall is measured against each run's "
            "arrival mid, unfilled shares at the mid when the window closed."
        ),
        "signs": SIGN_CONVENTIONS,
    }
