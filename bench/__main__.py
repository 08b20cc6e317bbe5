"""``make bench``: measured figures, printed and written to bench-results.json. Not tests.

Every group runs in a process of its own, on its own fresh database and embedded Redis (see
bench/stack.py), so a figure never depends on what ran before it: ``python -m bench GROUP``
gives the figure the whole run gives. ``make bench-smoke`` (``BENCH_SMOKE=1``) runs every
group at a small size, for CI: it fails on an exception or a broken invariant, never on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

from bench.checkpoint import checkpoint_day
from bench.execution import execution_quality
from bench.faults import fault_benchmarks
from bench.fix import fix_benchmarks
from bench.intake import intake_benchmarks
from bench.load import load_benchmarks
from bench.realtime import realtime_benchmarks
from bench.sessions import session_benchmarks
from bench.size import SMOKE, sized
from bench.tca import tca_benchmarks
from bench.ws import ws_benchmarks
from orders.domain.aggregation import PendingOrder, plan_window
from orders.domain.allocation import Demand, Supply, allocate_fills
from orders.domain.values import Side
from routing.market.book import BUY, SELL, OrderBook
from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS
from routing.market.simulator import MarketSimulator
from routing.market.venues import DEFAULT_VENUES

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / ("var/bench-smoke-results.json" if SMOKE else "bench-results.json")


def book_events_per_s(events: int = sized(1_000_000, 20_000), resting: int = 2_000, seed: int = 1) -> dict:
    """Bare book on a mixed flow: ~55% adds, ~35% cancels, ~10% marketable, ~2,000 resting."""
    rng = random.Random(seed)
    script = []
    live: list[int] = []
    next_id = 1
    live.extend(10_000_000 + i for i in range(resting))
    for _ in range(events):
        draw = rng.random()
        # Hold the resting count near ``resting``: past +-10% an add becomes a cancel or back.
        if draw < 0.55 and len(live) > resting * 1.1:
            draw = 0.6
        elif 0.55 <= draw < 0.90 and len(live) < resting * 0.9:
            draw = 0.0
        if draw < 0.55 or not live:
            side = BUY if rng.random() < 0.5 else SELL
            price = 10_000 - side * (1 + int(rng.expovariate(0.3)))
            script.append(("add", next_id, side, rng.choice((100, 100, 200, 300, 500)), price))
            live.append(next_id)
            next_id += 1
        elif draw < 0.90:
            index = rng.randrange(len(live))
            live[index], live[-1] = live[-1], live[index]
            script.append(("cancel", live.pop(), 0, 0, 0))
        else:
            script.append(("take", next_id, BUY if rng.random() < 0.5 else SELL, rng.choice((100, 200, 300)), 0))
            next_id += 1
    book = OrderBook()
    for i in range(resting):  # pre-load the resting depth
        side = BUY if i % 2 else SELL
        book.submit(10_000_000 + i, side, 100, 10_000 - side * (1 + i % 40), "pre")
    submit, cancel = book.submit, book.cancel
    start = time.perf_counter()
    for kind, order_id, side, quantity, price in script:
        if kind == "add":
            submit(order_id, side, quantity, price, "x")
        elif kind == "cancel":
            cancel(order_id)
        else:
            submit(order_id, side, quantity, None, "x")
    elapsed = time.perf_counter() - start
    return {"book_events_per_s": round(events / elapsed), "book_events": events}


def sim_day(seed: int = 7, minutes: int = sized(390, 5)) -> dict:
    """One instrument, five venues, a whole simulated day of background flow in 5-second steps."""
    sim = MarketSimulator(
        venues=DEFAULT_VENUES, reference_ticks=10_000, open_ns=OPEN_NS, close_ns=CLOSE_NS, warm_up_seed=seed
    )
    start = time.perf_counter()
    step = 0
    volume = 0
    end_ns = min(CLOSE_NS, OPEN_NS + minutes * 60 * NS_PER_S)
    while sim.clock_ns < end_ns:
        prints = sim.run_until(min(sim.clock_ns + 5 * NS_PER_S, end_ns), random.Random(f"{seed}:{step}"))
        volume += sum(p.quantity for p in prints)
        step += 1
    elapsed = time.perf_counter() - start
    return {
        "sim_day_events": sim.events_processed,
        "sim_day_events_per_s": round(sim.events_processed / elapsed),
        "sim_day_seconds": round(elapsed, 2),
        "sim_day_volume": volume,
        "sim_day_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def aggregate_1m_orders(orders: int = sized(1_000_000, 10_000), instruments: int = 500, seed: int = 3) -> dict:
    """Group and net a window of 1,000,000 in-memory orders across 500 instruments."""
    rng = random.Random(seed)
    symbols = [f"S{i:03d}" for i in range(instruments)]
    limits = [None] * 7 + [Decimal("99.50"), Decimal("100.00"), Decimal("100.50")]
    window = [
        PendingOrder(
            i,
            rng.choice(symbols),
            Side.BUY if rng.random() < 0.5 else Side.SELL,
            rng.choice(("TWAP", "VWAP", "POV", "IS")),
            rng.choice(limits),
            rng.randint(1, 20) * 100,
        )
        for i in range(orders)
    ]
    mids = {s: Decimal("100.005") for s in symbols}
    start = time.perf_counter()
    plan = plan_window(window, mids=mids, lot_sizes=dict.fromkeys(symbols, 100))
    elapsed = time.perf_counter() - start
    return {
        "aggregate_1m_orders_s": round(elapsed, 3),
        "aggregate_groups": len(plan.groups),
        "aggregate_crossed_shares": sum(c.quantity for c in plan.crosses),
    }


def allocate_10k_orders(orders: int = sized(10_000, 500), fills: int = sized(5_000, 250), seed: int = 4) -> dict:
    """Allocate a parent's 5,000 fills to its 10,000 orders, as one batch."""
    rng = random.Random(seed)
    demands = [Demand(i, rng.randint(1, 50) * 100) for i in range(orders)]
    supplies = [Supply(i, rng.randint(1, 8) * 100) for i in range(fills)]
    assert sum(s.quantity for s in supplies) <= sum(d.remaining for d in demands)
    start = time.perf_counter()
    rows = allocate_fills(supplies, demands, 100)
    elapsed = time.perf_counter() - start
    return {"allocate_10k_orders_s": round(elapsed, 4), "allocate_rows": len(rows)}


def execution_quality_figures() -> dict:
    """The algorithms' execution quality over many seeds, as a table (see bench/execution.py)."""
    quality = execution_quality(seeds=sized(30, 2), progress=lambda line: print(line, flush=True))
    metrics = list(next(iter(quality["table"].values())))
    header = f"{'':<20}" + "".join(f"{m[:26]:>30}" for m in metrics)
    print(header)
    for label, row in quality["table"].items():
        cells = "".join(f"{row[m]['mean']:>16} ± {row[m]['std']:<11}" for m in metrics)
        print(f"{label:<20}{cells}")
    for name, figure in quality["paired"].items():
        print(f"paired {name}: {figure}")
    return {"execution_quality": quality}


GROUPS = {
    "book": book_events_per_s,
    "sim_day": sim_day,
    "checkpoint": checkpoint_day,
    "aggregate": aggregate_1m_orders,
    "allocate": allocate_10k_orders,
    "intake": intake_benchmarks,
    "sessions": session_benchmarks,
    "tca": tca_benchmarks,
    "ws": ws_benchmarks,
    "load": load_benchmarks,
    "faults": fault_benchmarks,
    "fix": fix_benchmarks,
    "execution": execution_quality_figures,
    "realtime": realtime_benchmarks,
}
TARGETS = {
    "book_events_per_s": 1_000_000,
    "sim_day_events_per_s": 200_000,
    "aggregate_1m_orders_s": 2.0,
    "allocate_10k_orders_s": 0.2,
    "csv_upload_100k_rows_s": 20.0,
    "bulk_api_orders_per_s": 5_000,
    "tca_parent_10k_fills_s": 1.0,
    "tca_day_1000_parents_s": 30.0,
    "tca_comparison_1h_parent_s": 30.0,  # 7 algorithms on the recorded path and 20 further ones
    "ws_latency_p99_ms": 250.0,
    "load_p95_ms": 300.0,
    "fix_orders_per_s": 2_000,
    "fix_ack_p99_ms": 50.0,
    "session_2_worker_speedup_postgresql": 1.7,
    "realtime_instruments_capacity": 500,
    "realtime_instruments_capacity_postgresql": 500,
}


def _group_in_process(name: str, out: Path) -> None:
    """The child's side: one group, its figures as JSON for the parent process."""
    out.write_text(json.dumps(GROUPS[name](), default=str))


def _group(name: str, database: str, *, quiet: bool = False) -> dict:
    """One group in a fresh process with its own database and Redis; its figures. ``quiet``
    holds the group's output back and prints it whole when it ends (groups run side by side)."""
    if not quiet:
        print(f"running {name} ...", flush=True)
    began = time.perf_counter()
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = {**os.environ, "BENCH_GROUP": name, "BENCH_DATABASE": database}
        done = subprocess.run(
            [sys.executable, "-m", "bench", "--in-process", name, "--out", out.name],
            cwd=ROOT,
            env=env,
            check=False,
            capture_output=quiet,
            text=True,
        )
        if quiet:
            print(f"--- {name}\n{done.stdout}{done.stderr}", end="", flush=True)
        if done.returncode != 0:
            raise SystemExit(f"bench {name} failed (exit {done.returncode})")
        figures = json.loads(Path(out.name).read_text())
    print(f"  {name} done in {time.perf_counter() - began:.1f} s", flush=True)
    if database != "sqlite":  # the same group again on another database: its figures side by side
        figures = {f"{key}_{database}": value for key, value in figures.items()}
    return figures


def _print_table(name: str, rows: list[dict]) -> None:
    """A curve: one line per point, a column per figure."""
    columns = list(rows[0])
    widths = [max(len(c), *(len(f"{r.get(c, '')}") for r in rows)) for c in columns]
    print(f"{name}:")
    print("  " + "  ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        print("  " + "  ".join(f"{row.get(c, '')!s:>{w}}" for c, w in zip(columns, widths, strict=True)))


def _print(results: dict) -> None:
    width = max(map(len, results))
    curves = {k: v for k, v in results.items() if isinstance(v, list) and v and isinstance(v[0], dict)}
    for key, value in results.items():
        if isinstance(value, dict) or key in curves:  # a table: its benchmark's, or a curve below
            continue
        target = None if SMOKE else TARGETS.get(key)
        if target is None or not value:
            ratio = ""
        elif key.removesuffix("_postgresql").endswith(("_s", "_ms")) and "_per_s" not in key:  # lower is better
            unit = key.removesuffix("_postgresql").rsplit("_", 1)[1]
            ratio = f"  ({target / value:.2f}x faster than the target {target:g} {unit})"
        else:
            ratio = f"  ({value / target:.2f}x of target {target:,})"
        shown = f"{value:>14,}" if isinstance(value, int) and not isinstance(value, bool) else f"{value!s:>14}"
        print(f"{key:<{width}}  {shown}{ratio}")
    for key, rows in curves.items():
        _print_table(key, rows)


def _cpu() -> str:
    """The processor's model and count: figures compare only on the same kind of machine."""
    model = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        lines = cpuinfo.read_text().splitlines()
        model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), model)
    return f"{model} x{os.cpu_count()}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Measured figures (not tests).")
    parser.add_argument("groups", nargs="*", metavar="GROUP", help=", ".join(GROUPS))
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="groups run side by side (each on its own database and Redis); for the smoke, whose "
        "figures are not measures: a group measured beside another measures the contention",
    )
    parser.add_argument("--in-process", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    unknown = sorted(set(args.groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group {', '.join(unknown)}; the groups are {', '.join(GROUPS)}")
    if args.in_process:
        _group_in_process(args.in_process, args.out)
        return
    results = {"python": platform.python_version(), "machine": platform.machine(), "cpu": _cpu(), "smoke": SMOKE}
    names = args.groups or list(GROUPS)
    print(f"running {', '.join(names)} ({args.database}{', smoke size' if SMOKE else ''}, {args.jobs} at a time)")
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        runs = [pool.submit(_group, name, args.database, quiet=args.jobs > 1) for name in names]
        for run in runs:  # in the groups' order, whichever ends first
            results.update(run.result())
    _print(results)
    if args.groups and RESULTS.exists():  # a partial run updates its own figures, keeps the others
        results = {**json.loads(RESULTS.read_text()), **results}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
