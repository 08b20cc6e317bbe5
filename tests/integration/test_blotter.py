"""The blotter beyond its page: sorted by a header, added up over every page, exported whole."""

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from orders.domain.values import performance_bps
from orders.exports import COLUMNS
from orders.models import Order

from .test_tca import executed_parent

pytestmark = pytest.mark.django_db


@pytest.fixture
def executed(demo):
    """trader1's TCA-0 (1,200 XOM) and trader2's TCA-1, filled by session steps."""
    executed_parent()
    return Order.objects.get(client_order_id="TCA-0")


def test_the_export_holds_every_order_with_its_fill_times_and_slippage(executed, trader1):
    # given: trader1's executed order, and one more of theirs waiting
    trader1.post(
        "/api/v1/orders/",
        {"client_order_id": "00830", "account": "T1-GROWTH", "instrument": "AAPL", "side": "SELL", "quantity": 300},
        format="json",
    )

    # when: trader1 exports the blotter as CSV
    response = trader1.get("/orders/export.csv")

    # then: every order of theirs (none of trader2's), each with what the screen has no room for
    assert response["Content-Disposition"].startswith('attachment; filename="orders-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["client_order_id"] for r in rows] == ["TCA-0", "00830"]
    filled = rows[0]
    assert int(filled["filled_quantity"]) == executed.filled_quantity == 1_200
    arrival = executed.arrival_price or executed.parent.arrival_price  # before its market opened: the parent's
    assert Decimal(filled["arrival_price"]) == arrival
    expected = performance_bps(executed.side, executed.average_price, arrival)
    assert filled["slippage_vs_arrival_bps"] == str(expected.quantize(Decimal("0.01")))
    first, last = datetime.fromisoformat(filled["first_fill"]), datetime.fromisoformat(filled["last_fill"])
    assert datetime.fromisoformat(filled["received_at"]) <= first <= last
    assert rows[1]["first_fill"] == rows[1]["slippage_vs_arrival_bps"] == ""


def test_the_xlsx_export_has_typed_cells_and_ids_stay_text(executed, trader1):
    # given: an order whose client id looks like a number
    trader1.post(
        "/api/v1/orders/",
        {"client_order_id": "00830", "account": "T1-GROWTH", "instrument": "AAPL", "side": "SELL", "quantity": 300},
        format="json",
    )

    # when: exported as XLSX
    sheet = load_workbook(io.BytesIO(trader1.get("/orders/export.xlsx").content))["Orders"]

    # then: a header of the export's columns, numbers as numbers in formats, times as times
    assert tuple(c.value for c in sheet[1]) == COLUMNS
    by_name = {name: cell for name, cell in zip(COLUMNS, sheet[2], strict=True)}
    assert (by_name["quantity"].value, by_name["quantity"].number_format) == (1_200, "#,##0")
    assert isinstance(by_name["received_at"].value, datetime)
    assert isinstance(by_name["average_price"].value, float)
    assert sheet.cell(row=3, column=COLUMNS.index("client_order_id") + 1).value == "00830"


def test_the_blotter_sorts_by_a_header_and_adds_up_every_page(executed, supervisor):
    # when: the supervisor sorts all orders by quantity, largest first
    page = supervisor.get("/orders/?sort=-quantity")

    # then: the rows come largest first, the header says so, and the totals are of every order
    quantities = [o.quantity for o in page.context["page"]]
    assert quantities == sorted(quantities, reverse=True) == [1_200, 800]
    html = page.content.decode()
    assert 'aria-sort="descending"><a class="sort" href="?sort=quantity">Qty</a>' in html
    assert page.context["totals"] == {
        "orders": 2,
        "quantity": 2_000,
        "filled": 2_000,
        "notional": sum(o.filled_notional for o in Order.objects.all()),
    }
    assert page.context["live"] is False  # a sorted blotter keeps its rows instead of following the stream
    assert supervisor.get("/orders/?sort=nonsense").context["sort"] == "-id"


def test_the_totals_line_is_read_again_for_the_search_and_the_reader(executed, supervisor, trader1):
    # when the supervisor and trader1 read the blotter's totals, whole and searched
    desk = supervisor.get("/api/v1/orders/totals/").json()
    own = trader1.get("/api/v1/orders/totals/").json()
    searched = supervisor.get("/api/v1/orders/totals/?q=T2-MACRO").json()
    # then the supervisor's are every trader's, trader1's their own, the search's its orders'
    notional = {o.client_order_id: o.filled_notional for o in Order.objects.all()}
    assert desk == {
        "orders": 2,
        "quantity": 2_000,
        "filled": 2_000,
        "notional": str(sum(notional.values()).quantize(Decimal("0.01"))),
    }
    assert (own["orders"], own["quantity"], own["notional"]) == (
        1,
        1_200,
        str(notional["TCA-0"].quantize(Decimal("0.01"))),
    )
    assert (searched["orders"], searched["filled"]) == (1, 800)
    # and a search too long is a 400 with the field's error, not a 500
    too_long = supervisor.get("/api/v1/orders/totals/?q=" + "x" * 65)
    assert too_long.status_code == 400 and "q" in too_long.json()
