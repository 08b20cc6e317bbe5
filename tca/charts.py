"""Plotly figures (plain dicts, drawn by the locally served plotly.js) for TCA pages and reports."""

from __future__ import annotations

from orders.payloads import iso_time

from .figures import DeskReport, GroupFigures, ParentReport
from .metrics import MARKOUT_HORIZONS_S

GOOD, BAD, NEUTRAL, ACCENT = "#1a7f37", "#cf222e", "#6e7781", "#0969da"
SHORT_NAMES = {"IMMEDIATE": "Market order", "IS": "IS"}
LAYOUT = {"margin": {"l": 60, "r": 20, "t": 40, "b": 40}, "height": 300, "font": {"size": 12}}


def _f(value) -> float | None:
    """Chart coordinates only: the figures themselves stay Decimal."""
    return None if value is None else float(value)


def _layout(title: str, **extra) -> dict:
    return {**LAYOUT, "title": {"text": title, "x": 0}, **extra}


def shortfall_waterfall(report: ParentReport) -> dict:
    s = report.shortfall
    parts = [("Delay", s.delay_bps), ("Trading", s.trading_bps), ("Opportunity", s.opportunity_bps)]
    parts.append(("Fees", s.fees_bps))
    return {
        "data": [
            {
                "type": "waterfall",
                "x": [name for name, _ in parts] + ["Total"],
                "y": [_f(v) for _, v in parts] + [_f(s.total_bps)],
                "measure": ["relative"] * len(parts) + ["total"],
                "increasing": {"marker": {"color": BAD}},
                "decreasing": {"marker": {"color": GOOD}},
                "totals": {"marker": {"color": ACCENT}},
            }
        ],
        "layout": _layout("Implementation shortfall (bps, positive = cost)"),
    }


def executed_vs_schedule(report: ParentReport, schedule: list[dict]) -> dict:
    times, cumulative, total = [], [], report.crossed_quantity
    for fill in report.fills:
        total += fill.quantity
        times.append(iso_time(fill.time))
        cumulative.append(total)
    return {
        "data": [
            {"type": "scatter", "mode": "lines", "name": "schedule", "x": [p["time"] for p in schedule],
             "y": [p["due"] for p in schedule], "line": {"dash": "dot", "color": NEUTRAL}},
            {"type": "scatter", "mode": "lines", "name": "executed", "x": times, "y": cumulative,
             "line": {"shape": "hv", "color": ACCENT}},
        ],
        "layout": _layout("Executed vs schedule (shares)"),
    }  # fmt: skip


def fills_vs_benchmarks(report: ParentReport) -> dict:
    fills = report.fills
    colors = {"M": GOOD, "T": BAD}
    data = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "fills (green added liquidity, red took it)",
            "x": [iso_time(f.time) for f in fills],
            "y": [_f(f.price) for f in fills],
            "marker": {"size": [max(7, min(16, 5 + f.quantity / 100)) for f in fills],
                       "color": [colors.get(f.liquidity, NEUTRAL) for f in fills]},
        },
    ]  # fmt: skip
    for name, key, color in (("arrival", "arrival", NEUTRAL), ("interval VWAP", "interval_vwap", ACCENT)):
        value = report.benchmarks.get(key)
        if value is not None and fills:
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": name,
                    "x": [iso_time(report.parent.start), iso_time(report.parent.window_end)],
                    "y": [_f(value), _f(value)],
                    "line": {"dash": "dash", "color": color},
                }
            )
    return {"data": data, "layout": _layout("Fills against arrival and interval VWAP")}


def markout_curves(groups: dict[str, GroupFigures], title: str = "Mark-outs (bps, positive = our way)") -> dict:
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": [f"+{h}s" for h in MARKOUT_HORIZONS_S],
                "y": [_f(figures.markouts[h].performance_bps) for h in MARKOUT_HORIZONS_S],
            }
            for name, figures in groups.items()
            if figures.quantity
        ],
        "layout": _layout(title),
    }


def performance_by_group(groups: dict[str, GroupFigures], title: str) -> dict:
    names = [name for name, g in groups.items() if g.quantity]
    vwap = [_f(groups[n].vs_interval_vwap.performance_bps) for n in names]
    shortfall = [_f(groups[n].shortfall.total_bps) for n in names]
    return {
        "data": [
            {"type": "bar", "name": "vs interval VWAP (bps, + better)", "x": names, "y": vwap,
             "marker": {"color": [GOOD if (v or 0) >= 0 else BAD for v in vwap]}},
            {"type": "bar", "name": "shortfall (bps, + cost)", "x": names, "y": shortfall,
             "marker": {"color": NEUTRAL}},
        ],
        "layout": _layout(title, barmode="group"),
    }  # fmt: skip


def venue_costs(groups: dict[str, GroupFigures]) -> dict:
    names = [name for name, g in groups.items() if g.quantity]
    return {
        "data": [
            {"type": "bar", "name": "vs child VWAP (bps, + better)", "x": names,
             "y": [_f(groups[n].vs_child_vwap.performance_bps) for n in names]},
            {"type": "bar", "name": "fees per share (cents, + paid)", "x": names,
             "y": [_f(groups[n].fees / groups[n].quantity * 100) for n in names]},
        ],
        "layout": _layout("Cost by venue", barmode="group"),
    }  # fmt: skip


def performance_distribution(desk: DeskReport) -> dict:
    values = [
        _f(p.performance_vs_interval_vwap_bps) for p in desk.parents if p.performance_vs_interval_vwap_bps is not None
    ]
    return {
        "data": [{"type": "histogram", "x": values, "marker": {"color": ACCENT}, "nbinsx": 30}],
        "layout": _layout(
            "Parents: performance vs interval VWAP (bps, + better)",
            xaxis={"title": {"text": "bps"}},
            yaxis={"title": {"text": "parents"}},
        ),
    }


def parent_charts(report: ParentReport, schedule: list[dict]) -> dict[str, dict]:
    return {
        "schedule": executed_vs_schedule(report, schedule),
        "fills": fills_vs_benchmarks(report),
        "shortfall": shortfall_waterfall(report),
        "markouts": markout_curves({**report.venues, "all": report.totals}),
    }


def desk_charts(desk: DeskReport) -> dict[str, dict]:
    return {
        "distribution": performance_distribution(desk),
        "algorithms": performance_by_group(desk.by_algorithm, "Cost by algorithm"),
        "venues": venue_costs(desk.by_venue),
        "markouts": markout_curves(desk.by_venue, "Mark-outs by venue (bps, positive = our way)"),
    }


def comparison_charts(comparison: dict) -> dict[str, dict]:
    """From a stored comparison payload: how fast each ran, and what each cost."""
    runs = comparison["runs"]
    executed = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": run["label"] + (" (replayed as run)" if run["as_run"] and i else ""),
                "x": [0.0, *(t / 60 for t, _ in run["executed"])],
                "y": [0, *(filled for _, filled in run["executed"])],
                "line": {"shape": "hv", "width": 3 if i == 0 else 1.5, **({"color": ACCENT} if i == 0 else {})},
            }
            for i, run in enumerate(runs)
        ],
        "layout": _layout(
            "Executed (shares) by minutes since the start",
            xaxis={"title": {"text": "minutes"}},
            height=380,
            legend={"orientation": "h", "y": -0.3},
        ),
    }
    labels = ["Recorded", *(SHORT_NAMES.get(run["strategy"], run["strategy"]) for run in runs[1:])]
    parts = (
        ("delay", "Delay", NEUTRAL),
        ("trading", "Trading", "#d29922"),
        ("opportunity", "Opportunity", "#a371f7"),
        ("fees", "Fees", BAD),
    )
    cost = {
        "data": [
            {
                "type": "bar",
                "name": name,
                "x": labels,
                "y": [None if run["shortfall"] is None else _f(run["shortfall"][f"{key}_bps"]) for run in runs],
                "marker": {"color": color},
            }
            for key, name, color in parts
        ]
        + [
            {
                "type": "scatter",
                "mode": "markers",
                "name": "total",
                "x": labels,
                "y": [None if run["shortfall"] is None else _f(run["shortfall"]["total_bps"]) for run in runs],
                "marker": {"symbol": "diamond", "size": 12, "color": "#f0f6fc", "line": {"color": "#000", "width": 1}},
            }
        ],
        "layout": _layout(
            "Implementation shortfall by algorithm (bps, positive = cost)",
            barmode="relative",
            height=380,
            legend={"orientation": "h", "y": -0.2},
        ),
    }
    return {"comparison_executed": executed, "comparison_cost": cost}
