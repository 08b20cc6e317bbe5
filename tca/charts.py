"""Plotly figures (plain dicts, drawn by the locally served plotly.js) for TCA pages and reports."""

from __future__ import annotations

from orders.payloads import iso_time

from .figures import DeskReport, GroupFigures, ParentReport
from .metrics import MARKOUT_HORIZONS_S

GOOD, BAD, NEUTRAL, ACCENT = "#1a7f37", "#cf222e", "#6e7781", "#0969da"
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
    """Two costs per group on one sign (+ = cost): against the interval VWAP, and the shortfall."""
    names = [name for name, g in groups.items() if g.quantity]
    vwap = [_cost(groups[n].vs_interval_vwap.performance_bps) for n in names]
    shortfall = [_f(groups[n].shortfall.total_bps) for n in names]
    return {
        "data": [
            {"type": "bar", "name": "vs interval VWAP", "x": names, "y": vwap,
             "marker": {"color": [BAD if (v or 0) > 0 else GOOD for v in vwap]}},
            {"type": "bar", "name": "implementation shortfall", "x": names, "y": shortfall,
             "marker": {"color": NEUTRAL}},
        ],
        "layout": _layout(f"{title} (bps, + = cost)", barmode="group", yaxis={"title": {"text": "bps, + = cost"}}),
    }  # fmt: skip


def venue_costs(groups: dict[str, GroupFigures]) -> dict:
    """Each venue's cost in bps of what it traded, stacked: price against the child's interval
    VWAP, then fees (a rebate below zero); the bar's end is the venue's all-in cost."""
    names = [name for name, g in groups.items() if g.quantity]
    fees = [_f(groups[n].fees / groups[n].notional * 10_000) if groups[n].notional else None for n in names]
    return {
        "data": [
            {"type": "bar", "name": "price vs child VWAP", "x": names,
             "y": [_cost(groups[n].vs_child_vwap.performance_bps) for n in names]},
            {"type": "bar", "name": "fees (rebates below zero)", "x": names, "y": fees},
        ],
        "layout": _layout("Cost by venue (bps of notional, + = cost)", barmode="relative",
                          yaxis={"title": {"text": "bps, + = cost"}}),
    }  # fmt: skip


def _cost(performance_bps) -> float | None:
    """A performance (+ = better) as a cost (+ = cost), so a chart reads one sign."""
    return None if performance_bps is None else -_f(performance_bps)


def performance_distribution(desk: DeskReport) -> dict:
    values = [
        _f(p.performance_vs_interval_vwap_bps) for p in desk.parents if p.performance_vs_interval_vwap_bps is not None
    ]
    spread = max(values, default=0) - min(values, default=0)
    count_axis = {"title": {"text": "parents"}, "rangemode": "tozero", "tickformat": ",d"}
    if len(values) <= 10:
        count_axis["dtick"] = 1  # whole parents, not 0.2 of one
    return {
        # Bins of a whole basis point or more: a few parents would otherwise get one wide bar.
        "data": [
            {
                "type": "histogram",
                "x": values,
                "marker": {"color": ACCENT, "line": {"color": "#0d1117", "width": 1}},
                "xbins": {"size": max(1.0, round(spread / 30))},
            }
        ],
        "layout": _layout(
            "Parents: performance vs interval VWAP (bps, + better)",
            xaxis={"title": {"text": "bps"}, "zeroline": True},
            yaxis=count_axis,
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


def short_label(label: str) -> str:
    """An alternative's name as a chart's axis has room for."""
    return label.replace("Implementation Shortfall", "IS").replace("Market order at the start", "Market order")


def comparison_charts(comparison: dict) -> dict[str, dict]:
    """From a stored comparison payload: how fast each ran and what each cost on the recorded
    path, each one's cost over every further path, and the cost–risk frontier."""
    runs = comparison["runs"]
    bottom_legend = {"orientation": "h", "y": -0.25, "yanchor": "top"}
    executed = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": short_label(run["label"]) + (" (replayed as run)" if run["as_run"] and i else ""),
                "x": [0.0, *(t / 60 for t, _ in run["executed"])],
                "y": [0, *(filled for _, filled in run["executed"])],
                "line": {"shape": "hv", "width": 3 if i == 0 else 1.5, **({"color": ACCENT} if i == 0 else {})},
            }
            for i, run in enumerate(runs)
        ],
        "layout": _layout(
            "Executed (shares) by minutes since the start",
            xaxis={"title": {"text": "minutes"}},
            height=420,
            margin={**LAYOUT["margin"], "b": 150},
            legend=bottom_legend,
        ),
    }
    labels = ["Recorded", *(short_label(run["label"]) for run in runs[1:])]
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
            "Shortfall on the recorded path (bps, positive = cost)",
            barmode="relative",
            height=420,
            margin={**LAYOUT["margin"], "b": 150},
            legend=bottom_legend,
        ),
    }
    charts = {"comparison_executed": executed, "comparison_cost": cost}
    distributions = comparison.get("distributions") or []
    if distributions:
        charts["comparison_distribution"] = _shortfall_boxes(comparison, distributions)
        charts["comparison_frontier"] = _cost_risk_frontier(distributions)
    return charts


def _shortfall_boxes(comparison: dict, distributions: list[dict]) -> dict:
    """Each alternative's shortfall on every further path, with the recorded path's marked."""
    recorded = {run["label"]: run for run in comparison["runs"][1:]}
    names = [short_label(d["label"]) for d in distributions]
    return {
        "data": [
            {
                "type": "box",
                "name": name,
                "y": [_f(v) for v in d["shortfalls_bps"]],
                "boxpoints": "all",
                "jitter": 0.4,
                "pointpos": 0,
                "boxmean": True,
                "marker": {"size": 4, "color": ACCENT},
                "line": {"color": ACCENT},
                "showlegend": False,
            }
            for name, d in zip(names, distributions, strict=True)
        ]
        + [
            {
                "type": "scatter",
                "mode": "markers",
                "name": "recorded path",
                "x": names,
                "y": [_f((recorded[d["label"]]["shortfall"] or {}).get("total_bps")) for d in distributions],
                "marker": {"symbol": "x", "size": 10, "color": BAD},
            }
        ],
        "layout": _layout(
            f"Shortfall over {comparison['paths']} further paths (bps, positive = cost; dashed: mean)",
            height=420,
            margin={**LAYOUT["margin"], "b": 110},
            legend={"orientation": "h", "y": 1.0, "x": 1, "xanchor": "right", "yanchor": "bottom"},
        ),
    }


LABEL_SIDES = ("top right", "bottom left", "bottom right", "top left")


def _cost_risk_frontier(distributions: list[dict]) -> dict:
    """Expected cost against its spread: TWAP (κT 0), IS by rising urgency, then the market
    order (κT ∞) trace the frontier; the other algorithms are points beside it."""
    frontier = sorted(
        (d for d in distributions if d["strategy"] in ("TWAP", "IS", "IMMEDIATE")),
        key=lambda d: _f(d["stdev_bps"]),
        reverse=True,
    )
    others = [d for d in distributions if d not in frontier]
    widest = max(_f(d["stdev_bps"]) for d in distributions)
    # Neighbours by risk take their labels on different sides, so that points close together
    # (the IS urgencies, TWAP and VWAP often are) do not print their names over each other.
    by_risk = sorted(distributions, key=lambda d: _f(d["stdev_bps"]))
    sides = {d["label"]: LABEL_SIDES[rank % len(LABEL_SIDES)] for rank, d in enumerate(by_risk)}
    return {
        "data": [
            _risk_points(frontier, "TWAP → IS by urgency → market order", sides, line={"color": ACCENT}),
            _risk_points(others, "other algorithms", sides, marker={"size": 9, "color": "#d29922"}),
        ],
        "layout": _layout(
            "Cost–risk frontier: expected shortfall against its standard deviation (bps)",
            # room on the right for the labels of the riskiest points
            xaxis={"title": {"text": "risk: standard deviation of shortfall (bps)"}, "range": [0, widest * 1.3 + 1]},
            yaxis={"title": {"text": "expected shortfall (bps, ± standard error)"}},
            height=420,
            margin={**LAYOUT["margin"], "b": 110},
            legend={"orientation": "h", "y": -0.2, "yanchor": "top"},
        ),
    }


def _risk_points(distributions: list[dict], name: str, sides: dict[str, str], **style) -> dict:
    """Algorithms as (standard deviation, mean ± standard error) points, labelled on the side
    ``sides`` gives each; a line when styled as one."""
    return {
        "type": "scatter",
        "mode": ("lines+" if "line" in style else "") + "markers+text",
        "name": name,
        "x": [_f(d["stdev_bps"]) for d in distributions],
        "y": [_f(d["mean_bps"]) for d in distributions],
        "text": [short_label(d["label"]) for d in distributions],
        "textposition": [sides[d["label"]] for d in distributions],
        "error_y": {"type": "data", "array": [_f(d["standard_error_bps"]) or 0 for d in distributions]},
        **style,
    }
