"""TCA on a parent executed by real session steps: figures reconcile, downloads are safe."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db.models import Sum
from openpyxl import load_workbook

from orders.models import Account, Instrument, ParentStatus, Source
from orders.services import aggregation_window_run, order_create
from routing.market.clock import to_ns
from routing.models import Fill, MarketBar, MarketSession
from routing.services import session_advance
from tca.downloads import safe_cell
from tca.reports import TcaFilters, desk_report, parent_report, parents_for

pytestmark = pytest.mark.django_db


def submit_two_buys(quantity_each=(1_200, 800)):
    """Two traders' buys of XOM, aggregated into one parent."""
    instrument = Instrument.objects.get(symbol="XOM")
    for n, (username, account, quantity) in enumerate(
        zip(("trader1", "trader2"), ("T1-GROWTH", "T2-MACRO"), quantity_each, strict=True)
    ):
        order_create(
            submitted_by=User.objects.get(username=username),
            account=Account.objects.get(code=account),
            instrument=instrument,
            side="BUY",
            quantity=quantity,
            client_order_id=f"TCA-{n}",
            source=Source.API,
            urgency="HIGH",
        )
    (parent,) = aggregation_window_run(actor="test")
    return parent


def executed_parent():
    """The two buys' parent, run to completion by session steps in this process."""
    parent = submit_two_buys()
    session = MarketSession.objects.get(instrument=parent.instrument)
    for _ in range(200):
        session.refresh_from_db()
        if session.status != MarketSession.Status.RUNNING:
            break
        session_advance(session_id=session.pk, step_no=session.step_no)
    parent.refresh_from_db()
    assert parent.status == ParentStatus.FILLED
    return parent


def test_a_parent_report_reconciles_with_its_fills_orders_and_tape(demo):
    parent = executed_parent()
    report = parent_report(parent)

    # the children table and the fills add up to the parent
    assert sum(c.quantity for c in report.children) == report.children_total.quantity == 2_000
    assert sum(f.quantity for f in report.fills) == parent.market_filled_quantity == 2_000
    assert sum(o.filled for o in report.orders) == 2_000
    assert [o.quantity for o in report.orders] == [1_200, 800]

    # the shortfall is its orders' shortfalls added up, and its trading part is the
    # parent's own notional against arrival; fees are shared out to the last micro-cent
    arrival = parent.arrival_price
    assert report.shortfall.trading == parent.filled_notional - parent.filled_quantity * arrival
    assert report.shortfall.fees == parent.fees == sum(o.shortfall.fees for o in report.orders)
    assert report.shortfall.opportunity == 0  # all filled
    assert report.shortfall.total == sum(o.shortfall.total for o in report.orders)

    # interval VWAP is the tape's over the parent's life, recomputed here from the bars
    bars = MarketBar.objects.filter(session__instrument=parent.instrument, start__gte=parent.start, end__lte=parent.end)
    totals = bars.aggregate(volume=Sum("volume"), notional=Sum("notional"))
    assert report.benchmarks["interval_vwap"] == totals["notional"] / totals["volume"]
    assert report.market_volume == totals["volume"]

    # each fill has its mark-outs from the one-second tape, at or after fill time + h
    session = MarketSession.objects.get(instrument=parent.instrument)
    first = Fill.objects.filter(parent=parent).order_by("id").first()
    later = MarketBar.objects.filter(session=session, end__gte=first.sim_time.replace(microsecond=0)).order_by("start")
    assert report.fills[0].markout_mids[1] is not None
    fill_ns = to_ns(session.trading_date, first.sim_time)
    expected = next(b for b in later if to_ns(session.trading_date, b.end) >= fill_ns + 1_000_000_000)
    assert report.fills[0].markout_mids[1] == (expected.bid + expected.ask) / 2

    # the per-venue figures add up to the whole
    assert sum(v.quantity for v in report.venues.values()) == 2_000
    assert sum((v.fees for v in report.venues.values()), Decimal(0)) == parent.fees


def test_desk_report_filters_and_groups(demo):
    parent = executed_parent()
    desk = desk_report(parents_for(TcaFilters(algorithm=parent.strategy, trader="trader2")))
    assert [r.parent.pk for r in desk.parents] == [parent.pk]
    assert desk.by_algorithm[parent.strategy].quantity == 2_000
    assert desk.totals.shortfall.total == desk.parents[0].shortfall.total
    assert not parents_for(TcaFilters(instrument="AAPL")).filter(pk=parent.pk).exists()


def test_tca_api_and_downloads(demo, analyst, trader1):
    parent = executed_parent()
    url = f"/api/v1/tca/parents/{parent.pk}/"
    assert trader1.get(url).status_code == 403
    body = analyst.get(url).json()
    assert body["filled_quantity"] == 2_000
    assert body["signs"]["performance_bps"].startswith("positive = better")
    assert len(body["fills"]) == Fill.objects.filter(parent=parent).count()

    response = analyst.get(f"{url}report.csv")
    assert response["Content-Disposition"] == f'attachment; filename="tca-parent-{parent.pk}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["# Children"] in rows and ["# Fills"] in rows

    book = load_workbook(io.BytesIO(analyst.get(f"{url}report.xlsx").content))
    assert book.sheetnames[:2] == ["Summary", "Shortfall"]
    assert book["Fills"].max_row == 1 + len(body["fills"])

    html = analyst.get(f"/tca/parents/{parent.pk}/report.html").content.decode()
    assert "Plotly.newPlot" in html and "<script src=" not in html  # plotly.js is inline: works offline
    assert analyst.get("/tca/").status_code == 200
    assert analyst.get(f"/tca/parents/{parent.pk}/").status_code == 200
    assert trader1.get(f"/tca/parents/{parent.pk}/").status_code == 403


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1+2", "'+1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("-3.25", "-3.25"),  # a negative figure stays a number
        ("-inf", "'-inf"),
        ("XOM", "XOM"),
        (None, ""),
    ],
)
def test_cells_that_look_like_formulas_are_escaped(value, written):
    assert safe_cell(value) == written
