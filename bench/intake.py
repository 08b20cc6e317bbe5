"""Intake benchmarks on the real Django stack: a fresh SQLite database and the embedded Redis.

``csv_upload_100k_rows_s``: a 100,000-row CSV posted to ``/api/v1/orders/upload/``, the
upload task run to the end, then one aggregation window: orders and parents exist.
``csv_upload_curve``: the same for 1,000, 10,000 and 100,000 rows.
``bulk_api_orders_per_s``: ``POST /api/v1/orders/bulk/`` with 10,000 orders a request.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal

from bench.size import invariant, sized
from bench.stack import django_stack, risk_limits_for_bench

HEADER = "client_order_id,instrument,side,quantity,limit_price,strategy,urgency,account"


def _rows(count: int, seed: int, prefix: str) -> list[dict]:
    """Small orders as a wealth desk sends them: mostly market, some limits near the price."""
    from orders.models import Instrument

    rng = random.Random(seed)
    instruments = list(Instrument.objects.values_list("symbol", "reference_price"))
    rows = []
    for i in range(count):
        symbol, reference = rng.choice(instruments)
        limit = ""
        if rng.random() < 0.2:
            offset = rng.choice((-1, 1)) * rng.choice((Decimal("0.005"), Decimal("0.01")))
            limit = str((reference * (1 + offset)).quantize(Decimal("0.01")))
        rows.append(
            {
                "client_order_id": f"{prefix}-{i}",
                "instrument": symbol,
                "side": rng.choice(("BUY", "SELL")),
                "quantity": rng.choice((100, 100, 200, 300, 500, 1000)),
                "limit_price": limit,
                "strategy": "",
                "urgency": rng.choice(("LOW", "MEDIUM", "HIGH")),
                "account": rng.choice(("T1-GROWTH", "T1-INCOME")),
            }
        )
    return rows


def intake_benchmarks() -> dict:
    database = django_stack()
    from django.conf import settings

    # Every pre-trade check runs on every row; the credit and rate limits are set above what
    # 150,000 orders within a minute need, as the desk would for a planned bulk load.
    risk_limits_for_bench(
        ["T1-GROWTH", "T1-INCOME"],
        **{**settings.RISK_DEFAULTS, "daily_gross_notional": Decimal("1e12"), "max_orders_per_minute": 1_000_000},
    )
    return {"intake_database": database, **_csv_upload(), **_bulk_api()}


def _client():
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="trader1"))
    return client


def _csv_upload(rows: int = sized(100_000, 2_000)) -> dict:
    """The headline figure on a fresh desk, then the curve: 1,000 and 10,000 rows more, each
    onto the desk the earlier uploads left (its groups top up live parents, as a later upload
    does on a desk), so the table shows how the cost grows with the rows."""
    from django.db.models import Sum

    from orders.models import ParentOrder

    headline = _upload(rows, prefix="CSV")
    crossed = ParentOrder.objects.aggregate(shares=Sum("crossed_quantity"))["shares"]  # the fresh desk's parents
    curve = [_upload(size, prefix=f"CSV{size}") for size in sized((1_000, 10_000), (200, 500))]
    return {
        "csv_upload_100k_rows_s": headline["seconds"],
        "csv_upload_post_s": headline["post_s"],
        "csv_upload_task_s": headline["task_s"],
        "csv_upload_aggregate_s": headline["aggregate_s"],
        "csv_upload_parents": headline["parents"],
        "csv_upload_crossed_shares": crossed,
        "csv_upload_curve": sorted([*curve, headline], key=lambda point: point["rows"]),
    }


def _upload(rows: int, prefix: str) -> dict:
    """``rows`` orders as one CSV: posted, the upload task's body run here, one aggregation window."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from orders.models import Order
    from orders.services.uploads import upload_process
    from routing.services.aggregation import aggregation_window_run

    data = _rows(rows, seed=11, prefix=prefix)
    text = HEADER + "\n" + "\n".join(",".join(str(r[c]) for c in HEADER.split(",")) for r in data) + "\n"
    client = _client()
    start = time.perf_counter()
    response = client.post(
        "/api/v1/orders/upload/", {"file": SimpleUploadedFile("bench.csv", text.encode()), "mode": "ACCEPT_VALID"}
    )
    assert response.status_code == 202, response.content[:300]
    posted = time.perf_counter()
    upload = upload_process(upload_id=response.json()["id"])  # the task's body, in this process
    processed = time.perf_counter()
    parents = aggregation_window_run(actor="bench")
    elapsed = time.perf_counter() - start
    invariant(upload.accepted == rows, f"{rows:,} rows uploaded: {upload.message}")
    mine = Order.objects.filter(client_order_id__startswith=f"{prefix}-")
    invariant(mine.filter(parent__isnull=False).count() == rows, f"{prefix}: every accepted order in a parent")
    return {
        "rows": rows,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(rows / elapsed),
        "post_s": round(posted - start, 2),
        "task_s": round(processed - posted, 2),
        "aggregate_s": round(elapsed - (processed - start), 2),
        "parents": len(parents),
    }


def _bulk_api(requests: int = 5, per_request: int = sized(10_000, 200)) -> dict:
    import json

    client = _client()
    bodies = [json.dumps(_rows(per_request, seed=20 + n, prefix=f"BULK{n}")) for n in range(requests)]
    start = time.perf_counter()
    for body in bodies:
        response = client.post("/api/v1/orders/bulk/", body, content_type="application/json")
        created = response.status_code == 201 and response.json()["created"] == per_request
        invariant(created, f"bulk request of {per_request:,}: {response.content[:300]}")
    elapsed = time.perf_counter() - start
    return {"bulk_api_orders_per_s": round(requests * per_request / elapsed)}
