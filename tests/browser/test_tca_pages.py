"""An analyst reads a finished parent's TCA, compares it with the other algorithms, and
builds a desk report: charts drawn, tables filled, progress followed live, downloads work."""

import time

import pytest

from orders.models import ParentOrder, ParentStatus

from ..integration.test_tca import submit_two_buys
from .conftest import SCREENSHOTS, login

pytestmark = [pytest.mark.browser]


def test_analyst_reads_compares_and_downloads_tca(live_stack, browser, tmp_path):
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
    assert download.value.suggested_filename == f"tca-parent-{parent.pk}.zip"

    # when they replay the other algorithms, the page follows the reports worker and
    # shows the comparison when it is done, without a manual reload
    analyst.click("#compare-button")
    analyst.wait_for_selector("#comparison-table", timeout=120_000)
    analyst.wait_for_selector("#chart-comparison_cost .main-svg")
    analyst.wait_for_selector("#chart-comparison_frontier .main-svg")
    rows = analyst.locator("#comparison-table tbody tr")
    assert rows.count() == 8  # recorded, the 4 algorithms, IS at two more urgencies, the market order
    assert rows.nth(0).locator("td").first.inner_text() == "Executed (recorded)"
    # the further paths' distribution, each with its expected cost, and a verdict that says how sure it is
    paths = analyst.locator("#distribution-table tbody tr")
    assert paths.count() == 7
    assert paths.locator("td >> text=lowest").count() + paths.locator(".tag.good").count() >= 1
    verdict = analyst.locator("#comparison-verdict").inner_text()
    assert "over 4 paths" in verdict and ("Lowest expected cost" in verdict or "significantly cheaper" in verdict)
    # both tables fit the card at 1440 px, and no chart's legend spills out of its chart
    for table in ("#comparison-table", "#distribution-table"):
        assert analyst.eval_on_selector(table, "t => t.scrollWidth <= t.parentElement.clientWidth + 1"), table
    for chart in ("comparison_executed", "comparison_cost", "comparison_distribution", "comparison_frontier"):
        box = analyst.locator(f"#chart-{chart}").bounding_box()
        legend = analyst.locator(f"#chart-{chart} .legend")
        if legend.count():
            inner = legend.first.bounding_box()
            assert inner["y"] + inner["height"] <= box["y"] + box["height"] + 1, chart
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

    # and its HTML report, opened from disk with no network, unpacks plotly.js and draws every chart
    with analyst.expect_download() as download:
        analyst.click("a.button >> text=HTML report")
    report = tmp_path / download.value.suggested_filename
    download.value.save_as(report)
    assert report.stat().st_size < 2_500_000, "the self-contained report carries plotly.js compressed"
    offline = browser.new_context(offline=True, viewport={"width": 1440, "height": 900})
    try:
        page = offline.new_page()
        page.goto(report.as_uri())
        charts = page.locator(".chart")
        assert charts.count() >= 2
        page.wait_for_function(
            "() => [...document.querySelectorAll('.chart')].every(c => c.querySelector('.main-svg'))", timeout=20_000
        )
        page.screenshot(path=str(SCREENSHOTS / "tca-desk-report-html.png"))
    finally:
        offline.close()
