"""TCA report benchmarks on the real Django stack, over synthetic executed parents.

``tca_parent_10k_fills_s``: the full report (every figure, as the JSON API returns it) of one parent
with 10,000 children and fills, 100 orders and a whole day of one-second bars;
``tca_parent_10k_fills_csv_s`` then writes its tables as CSVs (the zip download).
``tca_comparison_1h_parent_s``: replaying every algorithm through a one-hour parent's window, on
the recorded path and on 20 further paths (antithetic pairs), in as many processes as cores.
``tca_day_1000_parents_s``: the desk report of a day of 1,000 parents over the five
demo instruments (each with its day of one-second bars), 20 fills and 5 orders each;
``tca_day_1000_parents_kept_s`` the same once the reports worker has kept each finished parent's
desk contribution (``tca_contributions_keep_1000_s`` to keep them all), as the TCA index reads it.
``tca_desk_curve``: the desk report of days of 100, 1,000 and 10,000 parents, both ways.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from decimal import Decimal

from bench.size import invariant, sized
from bench.stack import django_stack

DAY = date(2026, 1, 6)
BIG_DAY = date(2026, 1, 5)  # the 10,000-fill parent trades alone on the day before
TICK = Decimal("0.01")
BATCH = 2_000


def tca_benchmarks() -> dict:
    database = django_stack()
    from tca.downloads import Document, document_zip, report_tables
    from tca.payloads import desk_payload, parent_report_payload
    from tca.reports import desk_report, parent_report
    from tca.selectors import TcaFilters, parents_for
    from tca.services import parent_contributions_keep

    rng = random.Random(11)
    fills = sized(10_000, 200)
    big = _executed_parents(rng, day=BIG_DAY, instruments=1, parents_per_instrument=1, fills=fills, orders=100)[0]
    start = time.perf_counter()
    payload = parent_report_payload(parent_report(big))
    single = time.perf_counter() - start
    start = time.perf_counter()
    document_zip(Document(f"tca-parent-{big.pk}", "TCA", "", payload["signs"], report_tables(payload)))
    csv_s = time.perf_counter() - start

    instruments, per_instrument = sized(5, 1), sized(200, 10)
    _executed_parents(rng, day=DAY, instruments=instruments, parents_per_instrument=per_instrument, fills=20, orders=5)
    start = time.perf_counter()
    desk = desk_report(parents_for(TcaFilters(date_from=DAY, date_to=DAY)))
    day = time.perf_counter() - start
    invariant(len(desk.parents) == instruments * per_instrument, "the desk report has every parent of the day")
    invariant(payload["filled_quantity"] == fills * 100, "the parent report counts every fill")
    # the same day again once the reports worker has kept each finished parent's contribution
    start = time.perf_counter()
    while parent_contributions_keep(limit=1_000):
        pass
    keep = time.perf_counter() - start
    start = time.perf_counter()
    kept = desk_report(parents_for(TcaFilters(date_from=DAY, date_to=DAY)))
    day_kept = time.perf_counter() - start
    invariant(desk_payload(kept) == desk_payload(desk), "the kept contributions add up to the same desk report")
    curve = [_desk_point(rng, day=DAY, parents=instruments * per_instrument, measured=(day, keep, day_kept))]
    for offset, parents in enumerate(sized((100, 10_000), (10, 30)), start=1):
        curve.append(_desk_point(rng, day=DAY + timedelta(days=offset), parents=parents))
    comparison = _comparison_seconds()
    return {
        "tca_database": database,
        "tca_parent_10k_fills_s": round(single, 3),
        "tca_parent_10k_fills_csv_s": round(csv_s, 3),
        "tca_day_1000_parents_s": round(day, 2),
        "tca_day_1000_parents_kept_s": round(day_kept, 3),
        "tca_day_kept_speedup": round(day / day_kept, 1),
        "tca_contributions_keep_1000_s": round(keep, 2),
        "tca_comparison_1h_parent_s": round(comparison, 2),
        "tca_desk_curve": sorted(curve, key=lambda point: point["parents"]),
    }


def _desk_point(rng, *, day, parents: int, measured: tuple[float, float, float] | None = None) -> dict:
    """The desk report of a day of ``parents`` over the five instruments, read from the fills and
    from the kept contributions; measured here unless the day was (from fills, keep, kept)."""
    from tca.payloads import desk_payload
    from tca.reports import desk_report
    from tca.selectors import TcaFilters, parents_for
    from tca.services import parent_contributions_keep

    instruments = sized(5, 1)
    the_day = TcaFilters(date_from=day, date_to=day)
    if measured:
        from_fills_s, keep_s, kept_s = measured
    else:
        _executed_parents(
            rng, day=day, instruments=instruments, parents_per_instrument=parents // instruments, fills=20, orders=5
        )
        start = time.perf_counter()
        desk = desk_report(parents_for(the_day))
        from_fills_s = time.perf_counter() - start
        invariant(len(desk.parents) == parents, f"the desk report of {day} has its {parents:,} parents")
        start = time.perf_counter()
        while parent_contributions_keep(limit=1_000):
            pass
        keep_s = time.perf_counter() - start
        start = time.perf_counter()
        kept = desk_report(parents_for(the_day))
        kept_s = time.perf_counter() - start
        invariant(desk_payload(kept) == desk_payload(desk), f"{day}: the kept contributions add up to the same")
    return {
        "parents": parents,
        "from_fills_s": round(from_fills_s, 3),
        "kept_s": round(kept_s, 3),
        "keep_s": round(keep_s, 2),
        "from_fills_ms_per_parent": round(1_000 * from_fills_s / parents, 2),
    }


def _comparison_seconds() -> float:
    """Every algorithm replayed for a one-hour buy of 20,000 shares starting at 10:30 on the
    recorded path and 20 further ones, as the reports worker does it (pure)."""
    import functools
    import os

    from routing.engine.state import ParentPlan
    from routing.market.book import BUY
    from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS
    from routing.profiles import volume_profile
    from routing.replay import RECORDED, ReplayMarket, further_paths, replay_paths
    from tca.counterfactual import alternatives_for, cost_verdict, replay_figures, shortfall_distributions

    profile = volume_profile()  # built once per machine and cached, as the reports worker has it
    market = ReplayMarket(
        seed=7, reference_ticks=10_000, tick_size=TICK, open_ns=OPEN_NS, close_ns=CLOSE_NS, step_ns=5 * NS_PER_S
    )
    start_ns, window_ns = OPEN_NS + 3600 * NS_PER_S, sized(3600, 300) * NS_PER_S
    plan = ParentPlan(1, BUY, 20_000, 0, None, start_ns, start_ns + window_ns, 100, "VWAP", urgency=0.5)
    alternatives = alternatives_for("VWAP", pov_rate=0.1, kappa_t=0.5)
    paths = [RECORDED, *further_paths(sized(20, 4))]
    began = time.perf_counter()
    runs = replay_paths(
        market,
        plan,
        alternatives,
        paths,
        summarise=functools.partial(replay_figures, side="BUY", tick=TICK, as_run=False),
        profile=profile,
        workers=os.cpu_count() or 1,
    )
    distributions = shortfall_distributions([(a.label, a.strategy) for a in alternatives], runs[1:])
    verdict = cost_verdict(distributions)
    seconds = time.perf_counter() - began
    invariant(len(runs) == len(paths) and all(len(r) == len(alternatives) for r in runs), "every alternative replayed")
    invariant(len(distributions) == len(alternatives) and verdict is not None, "every alternative costed on every path")
    return seconds


def _executed_parents(rng, *, day, instruments, parents_per_instrument, fills, orders):
    """Parents as the engine leaves them, written straight to the database."""
    from django.contrib.auth.models import User

    from orders.models import Account, Allocation, Instrument, Order, ParentOrder
    from routing.market.clock import CLOSE_NS, NS_PER_S, OPEN_NS, to_datetime
    from routing.models import ChildOrder, Fill, MarketBar, MarketSession

    trader = User.objects.get(username="trader1")
    account = Account.objects.get(code="T1-GROWTH")
    symbols = list(Instrument.objects.order_by("symbol"))
    parents = []
    for index in range(instruments):
        instrument = symbols[index]
        reference = instrument.reference_price
        session = MarketSession.objects.create(
            instrument=instrument, trading_date=day, seed=index, sim_time_ns=CLOSE_NS, state=b"", status="CLOSED"
        )
        bars, mid = [], reference
        for second in range((CLOSE_NS - OPEN_NS) // NS_PER_S):
            mid += TICK * rng.choice((-1, 0, 0, 1))
            volume = rng.choice((0, 100, 200, 300, 500))
            start = to_datetime(day, OPEN_NS + second * NS_PER_S)
            bars.append(
                MarketBar(
                    session=session,
                    step_no=second // 5,
                    start=start,
                    end=start + timedelta(seconds=1),
                    volume=volume,
                    notional=volume * mid,
                    bid=mid - TICK / 2,
                    ask=mid + TICK / 2,
                )
            )
        MarketBar.objects.bulk_create(bars, batch_size=2_000)
        batch = []
        for _ in range(parents_per_instrument):
            begin = OPEN_NS + rng.randrange(0, 5 * 3600) * NS_PER_S
            quantity = fills * 100
            batch.append(
                ParentOrder(
                    instrument=instrument,
                    side="BUY",
                    strategy=rng.choice(("TWAP", "VWAP", "POV", "IS")),
                    quantity=quantity,
                    filled_quantity=quantity,
                    filled_notional=quantity * reference,
                    fees=Decimal("0.0030") * quantity,
                    status="FILLED",
                    duration_s=3600,
                    start=to_datetime(day, begin),
                    end=to_datetime(day, begin + 3600 * NS_PER_S),
                    arrival_price=reference,
                )
            )
        batch = ParentOrder.objects.bulk_create(batch, batch_size=BATCH)
        per_order = fills * 100 // orders
        parent_orders = Order.objects.bulk_create(
            (
                Order(
                    account=account,
                    submitted_by=trader,
                    client_order_id=f"B{day:%d}-{index}-{p}-{o}",
                    instrument=instrument,
                    side="BUY",
                    quantity=per_order,
                    strategy=parent.strategy,
                    source="API",
                    status="FILLED",
                    parent=parent,
                    filled_quantity=per_order,
                    filled_notional=per_order * reference,
                    arrival_price=reference,
                )
                for p, parent in enumerate(batch)
                for o in range(orders)
            ),
            batch_size=BATCH,
        )
        children = ChildOrder.objects.bulk_create(
            (
                ChildOrder(
                    session=session,
                    venue_order_id=index * 10**9 + p * 10**5 + c,
                    step_no=0,
                    parent=parent,
                    venue=rng.choice(("NYSE", "NASDAQ", "BATS", "DARKX")),
                    side="BUY",
                    tactic="PASSIVE",
                    order_type="LIMIT",
                    quantity=100,
                    limit_price=reference,
                    filled_quantity=100,
                    status="FILLED",
                    sim_time=parent.start + timedelta(seconds=c * 3600 / fills),
                    done_time=parent.start + timedelta(seconds=c * 3600 / fills + 2),
                )
                for p, parent in enumerate(batch)
                for c in range(fills)
            ),
            batch_size=BATCH,
        )
        fill_rows = Fill.objects.bulk_create(
            (
                Fill(
                    session=session,
                    step_no=n % fills,
                    seq=n // fills,
                    parent=child.parent,
                    child=child,
                    venue=child.venue,
                    side="BUY",
                    quantity=100,
                    price=reference,
                    fee=Decimal("0.30"),
                    liquidity="M",
                    sim_time=child.done_time,
                )
                for n, child in enumerate(children)
            ),
            batch_size=BATCH,
        )
        Allocation.objects.bulk_create(
            (
                Allocation(
                    order=parent_orders[(n // fills) * orders + (n % fills) % orders],
                    parent=f.parent,
                    fill=f,
                    quantity=100,
                    price=f.price,
                    venue=f.venue,
                )
                for n, f in enumerate(fill_rows)
            ),
            batch_size=BATCH,
        )
        parents.extend(batch)
    return parents
