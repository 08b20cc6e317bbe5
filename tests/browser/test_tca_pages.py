"""An analyst reads a finished parent's TCA, compares it with the other algorithms, and
builds a desk report: charts drawn, tables filled, progress followed live, downloads work."""

import time

import pytest

from orders.models import ParentOrder, ParentStatus

from ..integration.test_tca import submit_two_buys
from .conftest import SCREENSHOTS, login

pytestmark = [pytest.mark.browser]


def test_analyst_reads_compares_and_downloads_tca(live_stack, browser):
    # given a parent the live worker has executed to the end
    parent = submit_two_buys()
    deadline = time.monotonic() + 120
    while ParentOrder.objects.get(pk=parent.pk).status != ParentStatus.FILLED:
        assert time.monotonic() < deadline, "the parent did not finish in time"
        time.sleep(0.5)

    # when the analyst opens the TCA page and the parent's report
    analyst = login(browser, live_stack, "analyst1")
    analyst.wait_for_selector(f"a[href='/tca/parents/{parent.pk}/']")
    assert analyst.locator("#chart-distribution .main-svg").count() > 0
    analyst.screenshot(path=str(SCREENSHOTS / "tca.png"), full_page=True)
    analyst.click(f"a[href='/tca/parents/{parent.pk}/']")
    analyst.wait_for_selector("#chart-shortfall .main-svg")

    # then the shortfall, children with their total row, and both orders are there
    assert analyst.locator("table.data tfoot >> text=Total").count() == 1
    assert analyst.locator("td >> text=TCA-0").count() == 1
    assert analyst.locator("td >> text=TCA-1").count() == 1
    analyst.screenshot(path=str(SCREENSHOTS / "tca-parent.png"), full_page=True)
    with analyst.expect_download() as download:
        analyst.click("a.button >> text=CSV")
    assert download.value.suggested_filename == f"tca-parent-{parent.pk}.csv"

    # when they replay the other algorithms, the page follows the reports worker and
    # shows the comparison when it is done, without a manual reload
    analyst.click("#compare-button")
    analyst.wait_for_selector("#comparison-table", timeout=120_000)
    analyst.wait_for_selector("#chart-comparison_cost .main-svg")
    rows = analyst.locator("#comparison-table tbody tr")
    assert rows.count() == 6
    assert rows.nth(0).locator("td").first.inner_text() == "Executed (recorded)"
    analyst.locator("#comparison").screenshot(path=str(SCREENSHOTS / "tca-comparison.png"))

    # and a desk report over every parent is built in the background with a progress bar
    analyst.goto(live_stack + "/tca/")
    analyst.click("#desk-report-form button")
    analyst.wait_for_selector("a.button >> text=HTML report", timeout=120_000)
    analyst.wait_for_selector("#chart-algorithms .main-svg")
    assert analyst.locator(f"a[href='/tca/parents/{parent.pk}/']").count() == 1
    analyst.screenshot(path=str(SCREENSHOTS / "tca-desk-report.png"), full_page=True)
    with analyst.expect_download() as download:
        analyst.click("a.button >> text=XLSX")
    assert download.value.suggested_filename.startswith("tca-desk-report-")
