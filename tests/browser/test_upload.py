"""A trader uploads a CSV: progress to the end, the good rows become orders, bad rows are reported."""

import re

import pytest

from .conftest import SCREENSHOTS, login

pytestmark = [pytest.mark.browser]

HEADER = "client_order_id,instrument,side,quantity,limit_price,strategy,urgency,account"


def test_upload_shows_progress_and_a_row_error_report(live_stack, browser, tmp_path):
    # given a file of 3,000 orders with two bad rows and one the price collar refuses
    rows = [
        f"UP-{i},{'AAPL' if i % 2 else 'JPM'},{'BUY' if i % 3 else 'SELL'},100,,,LOW,T1-GROWTH" for i in range(3_000)
    ]
    rows[10] = "UP-10,AAPL,BUY,10.5,,,LOW,T1-GROWTH"
    rows[20] = "UP-20,AAPL,HOLD,100,190.001,,LOW,T1-GROWTH"
    rows[30] = "UP-30,AAPL,BUY,100,400.00,,LOW,T1-GROWTH"
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")

    # when the trader uploads it, keeping the good rows
    trader = login(browser, live_stack, "trader1")
    trader.click("text=Upload a file…")
    trader.wait_for_selector("h2 >> text=Upload an order file")
    # (every column of the file is explained, inside its card: the one-line header example ran out of it)
    assert trader.locator("#file-columns tbody tr").count() == 13
    card = trader.locator("section.card", has=trader.locator("#file-columns")).bounding_box()
    table = trader.locator("#file-columns").bounding_box()
    assert table["x"] + table["width"] <= card["x"] + card["width"], "the column reference spills out of its card"
    trader.screenshot(path=str(SCREENSHOTS / "upload-form.png"), full_page=True)
    trader.set_input_files("input[name=file]", str(path))
    trader.check("input[name=mode][value=ACCEPT_VALID]")
    trader.click("form.entry button[type=submit]")

    # then the page follows the task to the end and shows the report
    trader.wait_for_selector("#u-status >> text=DONE", timeout=60_000)
    trader.wait_for_selector("#errors")
    assert trader.inner_text("#u-accepted") == "2,997"
    assert trader.inner_text("#u-rejected") == "1"
    assert trader.inner_text("#u-errors") == "2"
    cells = trader.locator("#errors tbody tr").all_inner_texts()
    assert cells[:3] == [
        "12\tquantity\tmust be a positive whole number of shares\tskipped",
        "22\tside\tmust be BUY or SELL\tskipped",
        "22\tlimit_price\tprice 190.001 is not a multiple of the tick 0.01\tskipped",
    ]
    refused = cells[3].split("\t")
    assert refused[:2] == ["32", "limit_price"] and len(cells) == 4
    assert refused[2].startswith("limit 400.00 is outside the 20% price collar around the reference ")
    assert re.fullmatch(r"rejected as order \d+", refused[3])
    assert trader.locator("a >> text=Download the error report (CSV)").count() == 1
    trader.screenshot(path=str(SCREENSHOTS / "upload-report.png"), full_page=True)
