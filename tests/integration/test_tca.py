"""TCA on a parent executed by real session steps: figures reconcile, downloads are safe."""

import csv
import io
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db.models import Sum
from openpyxl import load_workbook

from orders.models import ParentOrder, ParentStatus, Source
from orders.services.intake import order_create
from routing.market.clock import to_ns
from routing.models import Fill, MarketBar, MarketSession
from routing.services.aggregation import aggregation_window_run
from routing.services.steps import session_advance
from smarttrading.spreadsheets import safe_cell
from tca.reports import desk_report, parent_report
from tca.selectors import TcaFilters, parents_for
from tca.services import parent_comparison, tca_job_run

pytestmark = pytest.mark.django_db


def submit_two_buys(quantity_each=(1_200, 800)):
    """Two traders' buys of XOM, aggregated into one parent."""
    for n, (username, account, quantity) in enumerate(
        zip(("trader1", "trader2"), ("T1-GROWTH", "T2-MACRO"), quantity_each, strict=True)
    ):
        order_create(
            submitted_by=User.objects.get(username=username),
            account=account,
            instrument="XOM",
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
    return executed_parent_from(submit_two_buys())


def executed_parent_from(parent):
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

    # interval VWAP is the tape's from the parent's start until it finished (before its
    # deadline: it filled early), recomputed here from the bars
    assert parent.start < parent.finished < parent.end
    bars = MarketBar.objects.filter(
        session__instrument=parent.instrument, start__gte=parent.start, end__lte=parent.finished
    )
    totals = bars.aggregate(volume=Sum("volume"), notional=Sum("notional"))
    assert report.benchmarks["interval_vwap"] == totals["notional"] / totals["volume"]
    assert report.market_volume == totals["volume"]

    # and the live figures the supervisor overview showed step by step agree with TCA
    assert parent.market_volume == report.market_volume
    assert parent.interval_vwap == report.benchmarks["interval_vwap"]
    # (the report also lists venues that were routed to but filled nothing)
    assert parent.venue_quantities == {venue: g.quantity for venue, g in report.venues.items() if g.quantity}
    assert parent.market_average_price == report.totals.average_price
    assert parent.crossed_quantity + parent.schedule_due <= parent.quantity

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
    assert [p.parent_id for p in desk.parents] == [parent.pk]
    assert desk.by_algorithm[parent.strategy].quantity == 2_000
    assert desk.totals.shortfall.total_bps == desk.parents[0].shortfall_bps
    assert not parents_for(TcaFilters(instrument="AAPL")).filter(pk=parent.pk).exists()


def test_tca_api_and_downloads(demo, analyst, trader1):
    parent = executed_parent()
    url = f"/api/v1/tca/parents/{parent.pk}/"
    assert trader1.get(url).status_code == 403
    body = analyst.get(url).json()
    assert body["filled_quantity"] == 2_000
    assert body["signs"]["performance_bps"].startswith("positive = better")
    assert len(body["fills"]) == Fill.objects.filter(parent=parent).count()

    # a CSV per table, each rectangular: one header, rows as wide as it
    response = analyst.get(f"{url}report.zip")
    assert response["Content-Disposition"] == f'attachment; filename="tca-parent-{parent.pk}.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    folder = f"tca-parent-{parent.pk}/"
    assert archive.namelist() == [
        folder + name
        for name in (
            *("README.txt", "01-summary.csv", "02-shortfall.csv", "03-venues.csv", "04-children.csv"),
            *("05-children-total.csv", "06-orders.csv", "07-fills.csv"),
        )
    ]
    fills = list(csv.reader(io.StringIO(archive.read(folder + "07-fills.csv").decode())))
    assert len(fills) == 1 + len(body["fills"]) and {len(row) for row in fills} == {len(fills[0])}
    children = list(csv.reader(io.StringIO(archive.read(folder + "04-children.csv").decode())))
    assert "TOTAL" not in {row[0] for row in children}  # the total is a table of its own
    assert "positive = better" in archive.read(folder + "README.txt").decode()

    # a workbook of typed cells: times as times, figures as numbers in their formats
    book = load_workbook(io.BytesIO(analyst.get(f"{url}report.xlsx").content))
    assert book.sheetnames[:2] == ["Summary", "Shortfall"]
    fills_sheet = book["Fills"]
    assert fills_sheet.max_row == 1 + len(body["fills"])
    head = [c.value for c in fills_sheet[1]]
    first = {name: cell for name, cell in zip(head, fills_sheet[2], strict=True)}
    assert isinstance(first["time"].value, datetime) and first["time"].number_format == "yyyy-mm-dd hh:mm:ss.000"
    sent = datetime.fromisoformat(body["fills"][0]["time"]).replace(tzinfo=None)  # exchange wall time
    assert abs(first["time"].value - sent) < timedelta(milliseconds=1)  # Excel keeps milliseconds
    assert (first["quantity"].number_format, first["price"].number_format) == ("#,##0", "#,##0.0000")
    summary = {row[0].value: row[1] for row in book["Summary"].iter_rows(min_row=2)}
    assert isinstance(summary["trading_date"].value, datetime) and summary["trading_date"].number_format == "yyyy-mm-dd"
    assert summary["fill_rate"].number_format == "0.00%"
    assert summary["performance vs arrival (bps, + better)"].number_format == "0.00"
    children_sheet = book["Children"]
    assert sum(row[5].value for row in children_sheet.iter_rows(min_row=2)) == body["children_total"]["quantity"]

    html = analyst.get(f"/tca/parents/{parent.pk}/report.html").content.decode()
    assert "Plotly.newPlot" in html and "<script src=" not in html  # plotly.js is inline: works offline
    assert analyst.get("/tca/").status_code == 200
    # the trader filter offers the traders who submitted orders, and a name it does not offer is
    # an error on the field rather than a silent "All 0 parents"
    index = analyst.get("/tca/?trader=trader2")
    assert [c[0] for c in index.context["form"].fields["trader"].choices] == ["", "trader1", "trader2"]
    assert index.context["total"] == 1
    nobody = analyst.get("/tca/?trader=nobody")
    assert "trader" in nobody.context["form"].errors
    assert b"These filters were not applied: Trader: Select a valid choice." in nobody.content
    page = analyst.get(f"/tca/parents/{parent.pk}/")
    assert page.status_code == 200
    # its benchmarks by the desk's names, in the day's order from the arrival to the close
    labels = ("Arrival (mid)", "Official open", "Interval VWAP", "Interval TWAP", "Day VWAP", "Official close")
    where = [page.content.decode().index(f"<tr><td>{label}</td>") for label in labels]
    assert where == sorted(where)
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


def test_replaying_a_parent_alone_reproduces_its_fills_and_ranks_the_alternatives(demo, analyst):
    # given a parent that ran alone in its session, never paused or changed
    parent = executed_parent()

    # when every algorithm is replayed on the session's seeded market
    comparison = parent_comparison(parent)

    # then the replay of its own algorithm is the recorded execution, fill for fill
    recorded, as_run, *others = comparison["runs"]
    assert as_run["as_run"] and as_run["strategy"] == parent.strategy
    assert comparison["caveats"] == []
    for key in ("filled", "average_price", "fees", "arrival", "interval_vwap", "children", "executed", "shortfall"):
        assert as_run[key] == recorded[key], key
    assert recorded["filled"] == parent.market_filled_quantity == 2_000
    assert recorded["average_price"] == str(parent.average_price.quantize(Decimal("0.000001")))

    # and every alternative traded the same quantity from the same arrival mid
    assert [r["strategy"] for r in others] == [s for s in ("TWAP", "VWAP", "POV", "IS") if s != parent.strategy] + [
        "IS",
        "IS",
        "IMMEDIATE",
    ]
    # Implementation Shortfall at each of the desk's urgencies: the cost-risk frontier
    assert sorted(r["label"] for r in comparison["runs"][1:] if r["strategy"] == "IS") == [
        "Implementation Shortfall (κT 0.5)",
        "Implementation Shortfall (κT 2)",
        "Implementation Shortfall (κT 6)",
    ]
    assert {r["arrival"] for r in comparison["runs"]} == {recorded["arrival"]}
    for run in others:
        parts = run["shortfall"]
        total = sum(Decimal(parts[k]) for k in ("delay", "trading", "opportunity", "fees"))
        assert Decimal(parts["total"]) == total
        assert run["filled"] <= 2_000

    # and each also ran on 4 further paths (the tests' SMARTTRADING_COMPARISON_PATHS), two antithetic pairs
    assert comparison["paths"] == 4
    distributions = {d["label"]: d for d in comparison["distributions"]}
    assert list(distributions) == [r["label"] for r in comparison["runs"][1:]]
    # a single market order at the start carries no timing risk; TWAP over the window does
    market_order, twap = distributions["Market order at the start"], distributions["TWAP"]
    assert Decimal(market_order["stdev_bps"]) < Decimal(twap["stdev_bps"])
    for d in distributions.values():
        values = [Decimal(v) for v in d["shortfalls_bps"]]
        assert abs(Decimal(d["mean_bps"]) - sum(values) / 4) <= Decimal("0.01")  # each value is rounded
        assert Decimal(d["p5_bps"]) <= Decimal(d["p50_bps"]) <= Decimal(d["p95_bps"])
    verdict = comparison["verdict"]
    leader = min(distributions.values(), key=lambda d: Decimal(d["mean_bps"]))
    assert verdict["leader"] == leader["label"] and leader["excess"] is None
    assert comparison["best"] in (None, verdict["leader"])  # named only when significant
    assert comparison["best"] == (verdict["leader"] if verdict["significant"] else None)


def test_desk_report_job_over_the_api_builds_every_parent_and_downloads(demo, analyst, trader1):
    # given an executed parent
    parent = executed_parent()

    # when an analyst asks for a desk report, and bad filters are refused with field errors
    assert trader1.post("/api/v1/tca/reports/", {}, format="json").status_code == 403
    bad = analyst.post("/api/v1/tca/reports/", {"date_from": "2026-13-01", "algorithm": "MAGIC"}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"date_from", "algorithm"}
    backwards = analyst.post(
        "/api/v1/tca/reports/", {"date_from": "2026-11-23", "date_to": "2026-11-22"}, format="json"
    )
    assert backwards.status_code == 400 and "date_to" in backwards.json()
    created = analyst.post("/api/v1/tca/reports/", {"algorithm": parent.strategy}, format="json")
    assert created.status_code == 202
    job = created.json()
    assert (job["status"], job["kind"], job["filters"]) == ("QUEUED", "DESK", {"algorithm": parent.strategy})
    assert analyst.get(f"/api/v1/tca/reports/{job['id']}/report.zip").status_code == 404  # not built yet

    # and the reports worker runs it
    tca_job_run(job_id=job["id"])

    # then the job is done with every parent, and its downloads carry the groups and parents
    body = analyst.get(f"/api/v1/tca/jobs/{job['id']}/").json()
    assert (body["status"], body["percent"], body["done"], body["total"]) == ("DONE", 100, 1, 1)
    desk = body["result"]["desk"]
    assert [p["parent"] for p in desk["parents"]] == [parent.pk]
    assert desk["by_algorithm"][parent.strategy]["quantity"] == 2_000
    archive = zipfile.ZipFile(io.BytesIO(analyst.get(f"/api/v1/tca/reports/{job['id']}/report.zip").content))
    assert [name.split("/")[1] for name in archive.namelist()][-2:] == ["05-by-day.csv", "06-parents.csv"]
    book = load_workbook(io.BytesIO(analyst.get(f"/tca/reports/{job['id']}/report.xlsx").content))
    assert book.sheetnames == ["Totals", "By algorithm", "By venue", "By instrument", "By day", "Parents", "Signs"]
    assert book["Parents"]["A2"].value == parent.pk
    html = analyst.get(f"/tca/reports/{job['id']}/report.html").content.decode()
    assert "Plotly.newPlot" in html and "<script src=" not in html  # self-contained
    page = analyst.get(f"/tca/reports/{job['id']}/").content.decode()
    assert f'href="/tca/parents/{parent.pk}/"' in page


def test_comparison_over_the_api_and_on_the_parent_page(demo, analyst, trader1):
    # given a parent still waiting for its session, which cannot be compared yet
    waiting = submit_two_buys()
    refused = analyst.post(f"/api/v1/tca/parents/{waiting.pk}/comparison/")
    assert refused.status_code == 400 and "parent" in refused.json()
    assert trader1.post(f"/api/v1/tca/parents/{waiting.pk}/comparison/").status_code == 403

    # when it has run and an analyst asks twice
    parent = executed_parent_from(waiting)
    first = analyst.post(f"/api/v1/tca/parents/{parent.pk}/comparison/")
    again = analyst.post(f"/api/v1/tca/parents/{parent.pk}/comparison/")
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]  # one comparison per parent
    tca_job_run(job_id=first.json()["id"])

    # then the API has the result and the page shows the table, its charts and downloads
    done = analyst.post(f"/api/v1/tca/parents/{parent.pk}/comparison/")
    assert done.status_code == 200 and done.json()["result"]["runs"][0]["label"] == "Executed (recorded)"
    page = analyst.get(f"/tca/parents/{parent.pk}/").content.decode()
    assert 'id="comparison-table"' in page and 'id="distribution-table"' in page and 'id="comparison-verdict"' in page
    assert "chart-comparison_cost" in page and "chart-comparison_frontier" in page
    book = load_workbook(io.BytesIO(analyst.get(f"/tca/parents/{parent.pk}/report.xlsx").content))
    assert book.sheetnames[:3] == ["Summary", "Shortfall", "Algorithms"]
    assert book.sheetnames[3] == "Paths"
    assert book["Algorithms"].max_row == 1 + 8  # recorded, 4 algorithms, IS at two more urgencies, the market order
    assert book["Paths"].max_row == 1 + 7


@pytest.mark.parametrize("client_order_id", ["1E9", "00830", "Infinity", "8.5E7"])
def test_ids_that_look_like_numbers_stay_text_in_the_workbook(demo, analyst, client_order_id):
    # given: an executed parent whose order's client id looks like a number
    order_create(
        submitted_by=User.objects.get(username="trader1"),
        account="T1-GROWTH",
        instrument="XOM",
        side="BUY",
        quantity=1_000,
        client_order_id=client_order_id,
        source=Source.API,
        urgency="HIGH",
    )
    (parent,) = aggregation_window_run(actor="test")
    parent = executed_parent_from(parent)

    # when: an analyst downloads its report as XLSX
    response = analyst.get(f"/api/v1/tca/parents/{parent.pk}/report.xlsx")

    # then: the id comes back as the text it was, and the figures stay numbers
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content))["Orders"]
    head = [c.value for c in sheet[1]]
    (row,) = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert row[head.index("client_order_id")] == client_order_id
    assert row[head.index("quantity")] == 1_000
    assert isinstance(row[head.index("average_price")], float)


def test_a_finished_parents_kept_contribution_gives_the_same_desk_report(demo):
    # given: a parent executed to the end, and the desk report read from its fills
    from tca.models import ParentTcaSummary
    from tca.payloads import desk_payload
    from tca.selectors import kept_contributions
    from tca.services import parent_contributions_keep

    parent = executed_parent()
    fresh = desk_payload(desk_report(parents_for(TcaFilters())))
    assert kept_contributions([parent]) == {}

    # when: the reports worker keeps finished parents' contributions
    assert parent_contributions_keep() == 1
    assert parent_contributions_keep() == 0  # current: nothing to do again

    # then: the desk report built from the kept one is the same, figure for figure
    parent.refresh_from_db()
    assert list(kept_contributions([parent])) == [parent.pk]
    assert desk_payload(desk_report(parents_for(TcaFilters()))) == fresh

    # and once the parent is written again, the kept one is stale until it is kept anew
    ParentOrder.objects.filter(pk=parent.pk).update(updated_at=parent.updated_at + timedelta(seconds=1))
    parent.refresh_from_db()
    assert kept_contributions([parent]) == {}
    assert parent_contributions_keep() == 1
    assert ParentTcaSummary.objects.get(parent=parent).parent_updated_at == parent.updated_at


def test_an_analyst_saves_named_filter_sets_and_applies_them_in_one_click(demo, analyst, users):
    # given: an analyst looking at one instrument and one algorithm
    query = {"instrument": "XOM", "algorithm": "IS"}

    # when: they save the filters under a name, then save other filters under the same name
    first = analyst.post("/tca/filters/", {**query, "name": "  XOM   urgent "})
    analyst.post("/tca/filters/", {**query, "date_from": "2026-12-01", "name": "XOM urgent"})

    # then: one set of that name, holding the later filters, one link away, and marked while applied
    assert first.status_code == 302 and first["Location"] == "/tca/?instrument=XOM&algorithm=IS"
    (saved,) = analyst.get("/tca/").context["saved"]
    assert (saved["name"], saved["query"]) == ("XOM urgent", "date_from=2026-12-01&instrument=XOM&algorithm=IS")
    applied = analyst.get("/tca/?" + saved["query"])
    assert applied.context["saved"][0]["current"] is True
    assert str(applied.context["form"].filters().date_from) == "2026-12-01"

    # and a nameless set is refused with the reason, another analyst sees none, and × forgets it
    refused = analyst.post("/tca/filters/", {**query, "name": "   "}, follow=True)
    assert "give the set a name" in refused.content.decode()
    from django.test import Client

    from orders.roles import ANALYST

    other = User.objects.create_user("analyst2")
    other.groups.add(*users["analyst1"].groups.filter(name=ANALYST))
    viewer = Client()
    viewer.force_login(other)
    assert viewer.get("/tca/").context["saved"] == []
    assert viewer.post(f"/tca/filters/{saved['id']}/delete/").status_code == 302  # not theirs: nothing happens
    assert len(analyst.get("/tca/").context["saved"]) == 1
    analyst.post(f"/tca/filters/{saved['id']}/delete/")
    assert analyst.get("/tca/").context["saved"] == []
