"""A trader enters an order in the browser; a supervisor watches it execute live."""

import re
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from orders.models import AuditEvent, Instrument, Order, OrderStatus, ParentOrder, ParentStatus
from routing.models import ChildOrder, Fill, MarketSession
from routing.payloads import parent_payload
from routing.services.sessions import session_get_or_create
from smarttrading import streams

from ..integration.test_tca import submit_two_buys
from .conftest import SCREENSHOTS, login

pytestmark = [pytest.mark.browser]


def publish_from_thread(group: str, message: dict) -> None:
    """Publish as a step does, from a thread of its own: Playwright's event loop runs in this one."""
    publisher = threading.Thread(target=streams.publish, args=(group, message))
    publisher.start()
    publisher.join()


def wait_in_thread(condition, timeout_s: float = 30) -> bool:
    """Poll the database from a thread of its own (Playwright's event loop runs in this one)."""
    met = []

    def poll():
        deadline = time.monotonic() + timeout_s
        try:
            while time.monotonic() < deadline:
                if condition():
                    met.append(True)
                    return
                time.sleep(0.05)
        finally:
            connection.close()

    poller = threading.Thread(target=poll)
    poller.start()
    poller.join()
    return bool(met)


def test_supervisor_sees_fills_arrive_without_reload(live_stack, browser):
    # given a trader who enters an order with the form
    trader = login(browser, live_stack, "trader1")
    assert trader.url.endswith("/orders/")
    trader.select_option("select[name=account]", "T1-GROWTH")
    trader.select_option("select[name=instrument]", "AAPL")
    trader.select_option("select[name=side]", "BUY")
    trader.fill("input[name=quantity]", "4000")
    trader.select_option("select[name=urgency]", "MEDIUM")
    trader.click("form.entry button[type=submit]")
    trader.wait_for_selector(".messages >> text=accepted")
    trader.wait_for_selector("#orders td >> text=PENDING_AGGREGATION")

    # when a supervisor runs the aggregation window from the overview
    supervisor = login(browser, live_stack, "supervisor1")
    assert supervisor.url.endswith("/execution/")
    supervisor.wait_for_selector("#live.up")
    supervisor.click("#aggregate")
    row = supervisor.wait_for_selector("#parents tbody tr[data-id] >> text=AAPL", timeout=15_000)
    assert row is not None
    supervisor.wait_for_selector("#parents .status-working", timeout=15_000)
    supervisor.wait_for_selector("#parents .venue-strip", timeout=20_000)  # fills by venue, live
    # the time left to its end on the exchange clock, every column on screen, the venue colours explained
    left = supervisor.locator("#parents tbody tr[data-id] td").nth(14).inner_text()
    assert re.fullmatch(r"\d+:\d\d(:\d\d)?", left), left
    last = supervisor.locator("#parents thead th").last.bounding_box()
    assert last["x"] + last["width"] <= 1440, "the overview's last column is off screen"
    assert supervisor.locator("#venue-legend .swatch").count() == 5
    # the headers sort from the keyboard too
    supervisor.focus("#parents th[data-sort=quantity]")
    supervisor.keyboard.press("Enter")
    supervisor.wait_for_selector("#parents th[data-sort=quantity][aria-sort=descending]", timeout=5_000)
    supervisor.screenshot(path=str(SCREENSHOTS / "execution-overview.png"), full_page=True)

    # then on the parent panel, fills stream in with no reload
    supervisor.click("#parents tbody tr[data-id] a")
    member_filled = "#members tbody tr[data-order] td:nth-child(7)"
    at_load = supervisor.inner_text(member_filled)
    supervisor.wait_for_selector("#fills tbody tr[data-fill]", timeout=20_000)
    supervisor.evaluate("window.__sameDocument = true")
    seen = supervisor.locator("#fills tbody tr[data-fill]").count()
    # (a locator, not wait_for_function: that evaluates a string, which the page's CSP refuses)
    supervisor.locator("#fills tbody tr[data-fill]").nth(seen).wait_for(timeout=20_000)
    assert supervisor.evaluate("window.__sameDocument") is True
    assert supervisor.locator("#chart-progress .main-svg").count() > 0
    assert supervisor.locator("#chart-price .main-svg").count() > 0
    # and our fills are on the price chart, a marker each, by venue
    markers = supervisor.evaluate(
        "document.getElementById('chart-price').data"
        ".filter(t => t.name.startsWith('Fills on')).reduce((n, t) => n + t.x.length, 0)"
    )
    assert 0 < markers <= Fill.objects.filter(parent__instrument__symbol="AAPL").count()
    assert supervisor.locator("#chart-price .scatterlayer .points path").count() >= markers
    # the count is of every fill so far (the snapshot carries only the latest), never more than recorded
    counted = int(supervisor.inner_text("#fill-count").split()[0].replace(",", ""))
    shown = supervisor.locator("#fills tbody tr[data-fill]").count()
    parent_id = int(supervisor.url.rstrip("/").split("/")[-1])
    assert shown <= counted <= Fill.objects.filter(parent_id=parent_id).count()
    supervisor.wait_for_timeout(1500)
    card = supervisor.locator("section.card", has=supervisor.locator("#scorecard")).bounding_box()
    scorecard = supervisor.locator("#scorecard").bounding_box()
    assert scorecard["x"] + scorecard["width"] <= card["x"] + card["width"], "the scorecard runs out of its card"
    supervisor.screenshot(path=str(SCREENSHOTS / "parent-panel.png"), full_page=True)
    # and its member order follows the fills allocated to it
    deadline = time.monotonic() + 20
    while supervisor.inner_text(member_filled) == at_load and time.monotonic() < deadline:
        supervisor.wait_for_timeout(250)
    now_filled = int(supervisor.inner_text(member_filled).replace(",", ""))
    assert now_filled > int(at_load.replace(",", "")), "the member orders stayed as at page load"
    assert now_filled <= Order.objects.get(parent_id=parent_id).filled_quantity
    # and the parent's children and its own audit trail are on the panel, live, on the exchange clock
    supervisor.locator("#children tbody tr:not(.empty)").first.wait_for(timeout=10_000)
    supervisor.wait_for_selector("#parent-audit tbody td:text('parent.started')", timeout=10_000)
    total = int(supervisor.inner_text("#children-count").split()[0].replace(",", ""))
    assert 0 < supervisor.locator("#children tbody tr").count() <= min(total, 100)
    assert total <= ChildOrder.objects.filter(parent_id=parent_id).count()
    assert re.fullmatch(r"\d\d:\d\d:\d\d", supervisor.locator("#parent-audit tbody td").first.inner_text())
    # its detail reads as a person writes it: the arrival in the mid's places, the end on the clock
    started = supervisor.locator("#parent-audit tbody tr:has(td:text('parent.started')) td.raw").inner_text()
    assert re.search(r"arrival price \d+\.\d{2,3} · end \d\d:\d\d:\d\d", started), started
    assert supervisor.locator("#parent-audit tbody td:text-matches('^child\\.')").count() == 0
    supervisor.check("#audit-children")  # with its children's events too
    supervisor.wait_for_selector("#parent-audit tbody td:text-matches('^child\\.')", timeout=10_000)
    supervisor.locator("#children").scroll_into_view_if_needed()
    supervisor.screenshot(path=str(SCREENSHOTS / "parent-children-audit.png"), full_page=True)
    # and a member order's audit folds out under it
    supervisor.click("#members tbody tr[data-order]")
    supervisor.wait_for_selector("#members table.audit tbody tr td:text('order.aggregated')", timeout=10_000)
    assert re.fullmatch(r"\d\d:\d\d:\d\d", supervisor.locator("#members table.audit tbody td").first.inner_text())
    supervisor.screenshot(path=str(SCREENSHOTS / "parent-order-audit.png"), full_page=True)

    # and the trader's blotter shows the fills allocated back, live
    trader.wait_for_selector("#orders .status-partially_filled, #orders .status-filled", timeout=20_000)
    # and the order entry shows the instrument's live quote: NBBO, spread, depth and the reference
    trader.wait_for_selector("#q-ladder tr.level-bid", timeout=10_000)
    assert trader.inner_text("#q-symbol") == "AAPL"
    bid, ask = Decimal(trader.inner_text("#q-bid")), Decimal(trader.inner_text("#q-ask"))
    assert bid < ask
    ladder_bids = [Decimal(p) for p in trader.locator("#q-ladder tr.level-bid td:nth-child(2)").all_inner_texts()]
    ladder_asks = [Decimal(p) for p in trader.locator("#q-ladder tr.level-ask td:nth-child(2)").all_inner_texts()]
    assert ladder_bids == sorted(ladder_bids, reverse=True) and ladder_asks == sorted(ladder_asks, reverse=True)
    assert max(ladder_bids) <= bid < ask <= min(ladder_asks)
    assert trader.inner_text("#q-reference") == "Reference 190.00 · limits are collared around it"
    # in the instrument's cents, so the panel fits its card beside the form
    assert re.fullmatch(r"\d+\.\d\d", trader.inner_text("#q-bid")), trader.inner_text("#q-bid")
    assert trader.eval_on_selector("#quote", "q => q.scrollWidth <= q.clientWidth + 1")
    trader.screenshot(path=str(SCREENSHOTS / "trader-blotter.png"), full_page=True)

    analyst = login(browser, live_stack, "analyst1")
    assert analyst.url.endswith("/tca/")
    analyst.wait_for_selector("td >> text=AAPL")
    analyst.screenshot(path=str(SCREENSHOTS / "tca.png"), full_page=True)


def test_supervisor_pauses_resumes_and_pulls_the_kill_switch(live_stack, browser):
    # given a working parent
    trader = login(browser, live_stack, "trader1")
    trader.select_option("select[name=account]", "T1-GROWTH")
    trader.select_option("select[name=instrument]", "MSFT")
    trader.select_option("select[name=side]", "SELL")
    trader.fill("input[name=quantity]", "30000")
    trader.select_option("select[name=urgency]", "LOW")
    trader.click("form.entry button[type=submit]")
    trader.wait_for_selector(".messages >> text=accepted")
    supervisor = login(browser, live_stack, "supervisor1")
    supervisor.wait_for_selector("#live.up")
    supervisor.click("#aggregate")
    supervisor.wait_for_selector("#parents .status-working", timeout=15_000)
    supervisor.click("#parents tbody tr[data-id] a")
    supervisor.wait_for_selector("#p-status.status-working", timeout=15_000)

    # when the supervisor pauses it, then resumes it, from the parent panel
    supervisor.click("#btn-pause")
    supervisor.wait_for_selector("#p-status.status-paused", timeout=10_000)
    assert supervisor.is_disabled("#btn-pause") and supervisor.is_enabled("#btn-resume")

    # and a step's publish of the state before the pause, arriving after it, changes nothing
    paused = parent_payload(ParentOrder.objects.select_related("instrument").get(pk=supervisor.url.split("/")[-2]))
    stale = {**paused, "status": "WORKING", "revision": paused["revision"] - 1}
    # then one newer than any write so far, so shown: it says the stale one was read first. A
    # paused parent's figures are written every step (its market goes on), so the marker is
    # dated two seconds ahead: no step's publish overtakes it before it is seen, and later ones do
    marker = {**paused, "fees": "0.1234", "revision": time.time_ns() // 1000 + 2_000_000}
    publish_from_thread(streams.parent_group(paused["id"]), {"type": "parent", "parents": [stale]})
    publish_from_thread(streams.parent_group(paused["id"]), {"type": "parent", "parents": [marker]})
    supervisor.wait_for_selector("#p-fees >> text=0.1234", timeout=10_000)
    assert supervisor.inner_text("#p-status") == "PAUSED"
    assert supervisor.is_disabled("#btn-pause") and supervisor.is_enabled("#btn-resume")
    supervisor.click("#btn-resume")
    supervisor.wait_for_selector("#p-status.status-working", timeout=10_000)

    # and engages the kill switch from the overview
    supervisor.goto(live_stack + "/execution/")
    supervisor.wait_for_selector("#live.up")
    supervisor.once("dialog", lambda dialog: dialog.accept("end-of-day drill"))
    supervisor.click("#kill-switch")
    supervisor.wait_for_selector("#kill-banner:not([hidden])", timeout=10_000)
    supervisor.wait_for_selector("#parents .status-paused", timeout=15_000)
    supervisor.screenshot(path=str(SCREENSHOTS / "kill-switch.png"), full_page=True)

    # then the trader sees, without a reload, that the kill switch holds the working order
    held = "#orders tr:has-text('SELL') .held"
    trader.wait_for_selector(held, timeout=10_000)
    assert trader.get_attribute(held, "title") == "not working now: kill switch engaged"
    card = trader.locator("section.card", has=trader.locator("#orders")).bounding_box()
    actions = trader.locator("#orders tr:has-text('SELL') td.actions").bounding_box()
    assert actions["x"] + actions["width"] <= card["x"] + card["width"], "the row's buttons run out of the card"
    trader.screenshot(path=str(SCREENSHOTS / "trader-blotter-held.png"), full_page=True)

    # and the trader's next order is rejected with the reason, and the banner shows there too
    trader.reload()
    trader.wait_for_selector(held, timeout=10_000)  # (from the snapshot too)
    assert trader.is_visible("#kill-banner")
    trader.select_option("select[name=account]", "T1-GROWTH")
    trader.select_option("select[name=instrument]", "MSFT")
    trader.select_option("select[name=side]", "BUY")
    trader.fill("input[name=quantity]", "100")
    trader.click("form.entry button[type=submit]")
    trader.wait_for_selector("#orders td >> text=REJECTED")

    # and only a release by the supervisor lets orders in again
    supervisor.once("dialog", lambda dialog: dialog.accept())
    supervisor.click("#kill-switch")
    supervisor.wait_for_selector("#kill-banner[hidden]", state="attached", timeout=10_000)

    # and the paused parents are resumed all at once, then paused again by selection
    resume_all = supervisor.locator("#resume-all")
    resume_all.wait_for(timeout=5_000)
    assert resume_all.inner_text() == "Resume all 1 paused"
    supervisor.once("dialog", lambda dialog: dialog.accept())
    resume_all.click()
    supervisor.wait_for_selector("#parents .status-working", timeout=10_000)
    assert resume_all.is_hidden()
    trader.wait_for_selector(held, state="detached", timeout=10_000)  # working again
    supervisor.check("#parents tbody tr[data-id] input[data-select]")
    supervisor.locator("#bulk-count", has_text="1 selected").wait_for(timeout=5_000)
    asked = []
    supervisor.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    supervisor.click("#bulk-actions button[data-bulk=pause]")
    supervisor.wait_for_selector("#parents .status-paused", timeout=10_000)
    assert asked and asked[0].startswith("Pause 1 parent (P")
    supervisor.locator("#bulk-count", has_text="none selected").wait_for(timeout=5_000)
    supervisor.screenshot(path=str(SCREENSHOTS / "execution-bulk-actions.png"), full_page=True)

    # and the risk page lists every account's limits, fitting the screen, with an account's form open
    supervisor.goto(live_stack + "/orders/risk/?edit=T1-GROWTH")
    supervisor.wait_for_selector("form.risk-edit input[name=max_order_quantity]")
    last = supervisor.locator("#risk-limits thead th").last.bounding_box()
    assert last["x"] + last["width"] <= 1440, "the risk table's last column is off screen"
    assert supervisor.locator("#risk-limits tbody tr[data-account]").count() == 3
    supervisor.screenshot(path=str(SCREENSHOTS / "risk-limits.png"), full_page=True)


def test_overview_after_a_dropped_socket_shows_what_a_fresh_load_shows(live_stack, browser):
    # given a supervisor watching a parent work, with every status on screen
    supervisor = login(browser, live_stack, "supervisor1")
    supervisor.wait_for_selector("#live.up")
    supervisor.select_option("#f-status", "")
    parent = submit_two_buys()
    supervisor.wait_for_selector(f"#parents tr[data-id='{parent.pk}'] .status-working", timeout=20_000)

    # when the network drops (every reconnect fails) until the parent has finished
    supervisor.evaluate(
        """() => {
        window.__RealWebSocket = window.WebSocket;
        window.WebSocket = function () {
          const dead = { send() {}, close() {} };
          setTimeout(() => dead.onclose && dead.onclose(), 20);
          return dead;
        };
        window.executionStream.socket().close();
    }"""
    )
    supervisor.wait_for_selector("#live.down")
    deadline = time.monotonic() + 120
    while ParentOrder.objects.get(pk=parent.pk).status != ParentStatus.FILLED:
        assert time.monotonic() < deadline, "the parent did not finish in time"
        time.sleep(0.5)
    missed = supervisor.locator(f"#parents tr[data-id='{parent.pk}'] .status").inner_text()
    assert missed == "WORKING"  # the page missed the fills and the finish

    # then, once the network is back, the page reconnects and shows a fresh load's state
    supervisor.evaluate("() => { window.WebSocket = window.__RealWebSocket; }")
    supervisor.wait_for_selector(f"#parents tr[data-id='{parent.pk}'] .status-filled", timeout=20_000)
    supervisor.wait_for_selector("#live.up")
    fresh = login(browser, live_stack, "supervisor1")
    fresh.select_option("#f-status", "")
    fresh.wait_for_selector(f"#parents tr[data-id='{parent.pk}'] .status-filled")

    def rows(page):
        return page.locator("#parents tbody tr").all_inner_texts()

    assert rows(supervisor) == rows(fresh)
    supervisor.screenshot(path=str(SCREENSHOTS / "execution-overview-after-reconnect.png"), full_page=True)


def test_a_faulted_session_shows_live_and_a_supervisor_resumes_it(live_stack, browser):
    from django.db import connection
    from django.test import override_settings

    from routing.services.faults import session_step_failed

    # given a supervisor on the overview and a working parent on XOM
    supervisor = login(browser, live_stack, "supervisor1")
    supervisor.wait_for_selector("#live.up")
    trader = login(browser, live_stack, "trader1")
    trader.select_option("select[name=account]", "T1-GROWTH")
    trader.select_option("select[name=instrument]", "XOM")
    trader.select_option("select[name=side]", "BUY")
    trader.fill("input[name=quantity]", "20000")
    trader.select_option("select[name=urgency]", "LOW")
    trader.click("form.entry button[type=submit]")
    trader.wait_for_selector(".messages >> text=accepted")
    supervisor.click("#aggregate")
    supervisor.wait_for_selector("#parents .status-working", timeout=15_000)
    assert supervisor.is_hidden("#fault-banner")

    # when its session's step fails for good (one attempt allowed, here); in a thread of its
    # own, as a worker would, since Playwright's loop holds this one
    def fail_the_step():
        # the worker steps the session on meanwhile: a failure of a step already past is
        # ignored (None), so fail the step the session is at until one takes
        for _ in range(20):
            session = MarketSession.objects.get(instrument__symbol="XOM")
            with override_settings(SESSION_STEP_MAX_ATTEMPTS=1):
                faulted = session_step_failed(
                    session_id=session.pk,
                    step_no=session.step_no,
                    error="Traceback (most recent call last):\nRuntimeError: the venue gateway returned garbage",
                )
            if faulted is not None:
                break
        connection.close()

    failing = threading.Thread(target=fail_the_step)
    failing.start()
    failing.join()

    # then the banner appears without a reload, with the error, and the parent shows paused
    supervisor.wait_for_selector("#fault-banner:not([hidden])", timeout=10_000)
    supervisor.wait_for_selector("#fault-list >> text=RuntimeError: the venue gateway returned garbage")
    supervisor.wait_for_selector("#parents .status-paused", timeout=10_000)
    supervisor.screenshot(path=str(SCREENSHOTS / "session-faulted.png"), full_page=True)

    # and resuming it from the banner clears it and the parent works again
    supervisor.once("dialog", lambda dialog: dialog.accept())
    supervisor.click("#fault-list button[data-resume]")
    supervisor.wait_for_selector("#fault-banner[hidden]", state="attached", timeout=10_000)
    supervisor.wait_for_selector("#parents .status-working", timeout=10_000)
    assert ParentOrder.objects.get(instrument__symbol="XOM").status == ParentStatus.WORKING


def test_a_trader_cancels_a_working_order_and_sees_what_it_got(live_stack, browser):
    # given two working orders in one parent, some of it out at venues
    trader = login(browser, live_stack, "trader1")
    for account, quantity in (("T1-GROWTH", "30000"), ("T1-INCOME", "2000")):
        trader.select_option("select[name=account]", account)
        trader.select_option("select[name=instrument]", "SPY")
        trader.select_option("select[name=side]", "BUY")
        trader.fill("input[name=quantity]", quantity)
        trader.select_option("select[name=urgency]", "HIGH")
        trader.fill("input[name=client_order_id]", f"CXL-{account}")
        trader.click("form.entry button[type=submit]")
        trader.wait_for_selector(".messages >> text=accepted")
    supervisor = login(browser, live_stack, "supervisor1")
    supervisor.wait_for_selector("#live.up")
    supervisor.click("#aggregate")
    supervisor.wait_for_selector("#parents .status-working", timeout=15_000)
    trader.wait_for_selector("#orders tr:has-text('CXL-T1-GROWTH') .status-partially_filled", timeout=30_000)

    # when the trader cancels the big one from the blotter, and confirms what the dialog names,
    # and (as on a busy server) the request's own answer, PENDING_CANCEL, comes back only after
    # the step that ended the order has streamed CANCELLED
    def answer_late(route):
        answer = route.fetch()
        ended = wait_in_thread(
            lambda: Order.objects.get(client_order_id="CXL-T1-GROWTH").status == OrderStatus.CANCELLED
        )
        assert ended, "the cancel never completed"
        time.sleep(1)  # the stream's CANCELLED reaches the page first
        route.fulfill(response=answer)

    trader.route("**/api/v1/orders/*/cancel/", answer_late)
    asked = []
    trader.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    with trader.expect_response("**/api/v1/orders/*/cancel/", timeout=40_000) as answered:
        trader.click("#orders tr:has-text('CXL-T1-GROWTH') button[data-cancel]")
    assert asked == ["Cancel CXL-T1-GROWTH: BUY 30,000 SPY? What has filled stays filled."]
    assert answered.value.json()["status"] == "PENDING_CANCEL"

    # then it ends cancelled, saying how much it gave up and how much it got: the older answer
    # does not take the row back to PENDING_CANCEL
    row = "#orders tr:has-text('CXL-T1-GROWTH')"
    trader.wait_for_selector(row + " .status-cancelled", timeout=30_000)
    trader.wait_for_timeout(300)  # the answer's handler has run
    assert trader.locator(row + " .status").inner_text() == "CANCELLED"
    # and a toast said so as it happened
    toast = trader.wait_for_selector("#toasts .toast-bad >> text=/^CXL-T1-GROWTH cancelled/", timeout=5_000)
    assert re.fullmatch(r"CXL-T1-GROWTH cancelled [0-9,]+ of 30,000; [0-9,]+ filled", toast.inner_text())
    assert re.fullmatch(r"cancelled [0-9,]+ of 30,000; [0-9,]+ filled", trader.get_attribute(row + " .status", "title"))
    # (on hover, and in the row's detail: in the Status column it pushed the others off screen)
    trader.focus(row)  # (from the keyboard: a row opens on Enter as on a click)
    trader.keyboard.press("Enter")
    trader.wait_for_selector("#orders tr.detail >> text=/cancelled [0-9,]+ of 30,000; [0-9,]+ filled/")
    # and what it got, one line per venue, adding up to its filled shares
    filled = trader.inner_text(row + " td:nth-child(11)")
    assert trader.inner_text("#orders tr.detail table.allocations tr.total td:nth-child(2)") == filled
    venue_shares = trader.locator("#orders tr.detail table.allocations tbody tr:not(.total) td:nth-child(2)")
    assert sum(int(t.replace(",", "")) for t in venue_shares.all_inner_texts()) == int(filled.replace(",", ""))
    assert re.fullmatch(
        r"\d+\.\d{4}", trader.inner_text("#orders tr.detail table.allocations tr.total td:nth-child(4)")
    )
    last = trader.locator("#orders thead th").last.bounding_box()
    assert last["x"] + last["width"] <= 1440, "the blotter's last column is off screen"
    trader.screenshot(path=str(SCREENSHOTS / "trader-blotter-cancelled.png"), full_page=True)

    # and the blotter sorts by a header, adds up every order, and exports what it shows
    trader.reload()
    assert trader.inner_text("#blotter-totals td:first-child").startswith("Totals · 2 orders")
    assert trader.inner_text("#blotter-totals td:nth-child(2)") == "32,000"
    trader.click("#orders thead a.sort >> text=Qty")
    trader.wait_for_selector("#orders th[aria-sort=descending] >> text=Qty")
    assert trader.locator("#orders tbody tr[data-id] td:nth-child(7)").all_inner_texts() == ["30,000", "2,000"]
    with trader.expect_download() as download:
        trader.click(".exports a >> text=XLSX")
    assert download.value.suggested_filename.endswith(".xlsx")


def test_a_trader_enters_instructions_and_amends_a_working_order_from_the_blotter(live_stack, browser):
    # given an order with its own window and cap, working in a parent
    trader = login(browser, live_stack, "trader1")
    trader.select_option("select[name=account]", "T1-GROWTH")
    trader.select_option("select[name=instrument]", "JPM")
    trader.select_option("select[name=side]", "BUY")
    trader.fill("input[name=quantity]", "20000")
    trader.select_option("select[name=urgency]", "HIGH")
    trader.fill("input[name=client_order_id]", "AMD-1")
    trader.click("details.instructions summary")
    trader.fill("input[name=max_participation]", "30")
    trader.check("fieldset.venues input[value=DARKY]")
    trader.click("form.entry button[type=submit]")
    trader.wait_for_selector(".messages >> text=accepted")
    supervisor = login(browser, live_stack, "supervisor1")
    supervisor.wait_for_selector("#live.up")
    supervisor.click("#aggregate")
    trader.wait_for_selector("#orders tr:has-text('AMD-1') .status-partially_filled", timeout=30_000)

    # when the trader cuts it from the blotter to 5,000, or (the market being quick: a HIGH
    # urgency IS can fill 6,000 shares in the seconds the form takes) well above what it has got
    trader.click("#orders tr:has-text('AMD-1') button[data-amend]")
    filled = Order.objects.get(client_order_id="AMD-1").filled_quantity
    target = min(19_000, max(5_000, (filled // 100 + 100) * 100))
    trader.fill("form.amend-form input[name=quantity]", str(target))
    trader.screenshot(path=str(SCREENSHOTS / "trader-blotter-amend.png"), full_page=True)
    trader.click("form.amend-form button[type=submit]")

    # then the answer says so, and the row ends under its new id with at most what it asked for
    trader.wait_for_selector("form.amend-form .amend-answer:is(.good, .error)")
    assert trader.locator("form.amend-form .amend-answer.good").count(), trader.inner_text(".amend-answer")
    row = trader.wait_for_selector("#orders tr:has-text('AMD-1.1')", timeout=30_000)
    trader.wait_for_selector("#orders tr:has-text('AMD-1.1') .status-filled", timeout=60_000)
    cells = row.query_selector_all("td")
    assert cells[6].inner_text() == f"{target:,}" or int(cells[10].inner_text().replace(",", "")) > target
    trader.screenshot(path=str(SCREENSHOTS / "trader-blotter-amended.png"), full_page=True)

    # and the parent panel shows what the order chose
    parent_id = cells[12].inner_text()
    supervisor.goto(f"{live_stack}/execution/{parent_id}/")
    params = supervisor.inner_text(".params")
    assert "Max participation 30%" in params.replace("\n", " ") and "Avoids DARKY" in params.replace("\n", " ")
    supervisor.screenshot(path=str(SCREENSHOTS / "parent-panel-instructions.png"), full_page=True)


def test_a_venue_outage_shows_live_on_the_overview_and_on_a_fresh_load(live_stack, browser):
    # given XOM's market open and a supervisor on the overview: every venue up
    session = session_get_or_create(instrument=Instrument.objects.get(symbol="XOM"))
    supervisor = login(browser, live_stack, "supervisor1")
    supervisor.wait_for_selector("#live.up")
    chips = supervisor.locator("#venue-board .venue-chip")
    assert chips.count() == 5 and supervisor.locator("#venue-board .status-up").count() == 5

    # when the venue status feed says NYSE is down (as a step records and publishes it)
    change = {"venue": "NYSE", "status": "DOWN", "detail": "not accepting orders", "instrument": "XOM",
              "time": "2026-12-01T10:41:07-05:00"}  # fmt: skip
    session.scorecard = [{**row, "status": "DOWN"} if row["venue"] == "NYSE" else row for row in session.scorecard]
    session.save(update_fields=["scorecard"])
    AuditEvent.objects.create(kind="venue.status", actor="engine", detail=change)
    publish_from_thread(streams.EXECUTION_GROUP, {"type": "venue_status", "changes": [change]})

    # then its chip turns, live, and says since when; a fresh load says the same
    nyse = supervisor.locator('#venue-board [data-venue="NYSE"]')
    nyse.locator("text=down: not accepting orders since 10:41:07").wait_for(timeout=10_000)
    assert "status-down" in nyse.get_attribute("class")
    supervisor.locator("#venue-board").screenshot(path=str(SCREENSHOTS / "venue-board.png"))
    supervisor.reload()
    assert (
        supervisor.locator('#venue-board [data-venue="NYSE"]').inner_text()
        == "NYSE down: not accepting orders since 10:41:07"
    )


def test_the_auctions_show_live_on_the_overview_and_on_a_fresh_load(live_stack, browser):
    # given XOM's market and a supervisor on the overview, before XOM's first step has opened it
    session = session_get_or_create(instrument=Instrument.objects.get(symbol="XOM"))
    supervisor = login(browser, live_stack, "supervisor1")
    supervisor.wait_for_selector("#live.up")
    board = supervisor.locator("#auction-board")
    chip = board.locator('[data-instrument="XOM"]')
    assert session.auction is None and chip.count() == 0
    if not MarketSession.objects.exclude(auction=None).exists():
        assert board.is_hidden()  # no market has opened yet: nothing to show

    # when the listing venue crosses at the open, pauses on news and reopens, publishes an
    # indication of the close, and then crosses at the close (as steps record them)
    for auction, shown in (
        (
            {"phase": "OPEN", "time": "2026-12-01T09:30:00-05:00", "price": "103.90", "paired": 312_400,
             "imbalance": 8_100},
            "XOM opened 103.90 · 312,400 in the cross",
        ),
        (
            {"phase": "HALT", "time": "2026-12-01T11:02:07-05:00", "price": "109.10", "paired": 0, "imbalance": 0},
            "XOM paused: limit up-limit down band 109.10 (11:02:07)",
        ),
        (
            {"phase": "REOPEN", "time": "2026-12-01T11:07:07-05:00", "price": "112.35", "paired": 48_200,
             "imbalance": -3_100},
            "XOM reopened 112.35 · 48,200 in the cross (11:07:07)",
        ),
        (
            {"phase": "INDICATIVE", "time": "2026-12-01T15:55:00-05:00", "price": "104.37", "paired": 1_234_500,
             "imbalance": 45_200},
            "XOM 104.37 · 1,234,500 paired · +45,200 to buy (15:55:00)",
        ),
        (
            {"phase": "CLOSE", "time": "2026-12-01T16:00:00-05:00", "price": "104.41", "paired": 1_290_300,
             "imbalance": -1_200},
            "XOM closed 104.41 · 1,290,300 in the cross",
        ),
    ):  # fmt: skip
        auction = {**auction, "venue": "NYSE"}
        session.auction = auction
        session.save(update_fields=["auction"])
        publish_from_thread(streams.EXECUTION_GROUP, {"type": "auction", "instrument": "XOM", **auction})

        # then the board shows it, live
        chip.locator(f"text={shown}").wait_for(timeout=10_000)
        if auction["phase"] == "HALT":
            assert "halted" in chip.get_attribute("class")
            board.screenshot(path=str(SCREENSHOTS / "auction-board-halted.png"))
    assert "closed" in chip.get_attribute("class")
    board.screenshot(path=str(SCREENSHOTS / "auction-board.png"))
    supervisor.reload()
    assert supervisor.locator('#auction-board [data-instrument="XOM"]').inner_text() == (
        "XOM closed 104.41 · 1,290,300 in the cross"
    )


def in_thread(work) -> None:
    """Run ``work`` (database writes) in a thread of its own: Playwright's event loop runs in this one."""

    def run():
        try:
            work()
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()


def test_the_supervisors_blotter_follows_every_traders_orders_and_its_totals(live_stack, browser):
    from django.contrib.auth.models import User

    from orders.models import Source
    from orders.services.intake import order_create

    # given the supervisor's Orders page, with no order yet
    supervisor = login(browser, live_stack, "supervisor1")
    supervisor.goto(live_stack + "/orders/")
    supervisor.wait_for_selector("#orders tbody tr.empty")
    assert supervisor.locator("#toasts").count() == 0  # a desk's every fill would be noise: toasts are the trader's

    # when two traders each enter an order
    def enter_two():
        for username, account, quantity in (("trader1", "T1-GROWTH", 300), ("trader2", "T2-MACRO", 700)):
            order_create(
                submitted_by=User.objects.get(username=username),
                account=account,
                instrument="MSFT",
                side="BUY",
                quantity=quantity,
                client_order_id=f"DESK-{username}",
                source=Source.API,
            )

    in_thread(enter_two)
    # then both rows arrive without a reload, and the totals line adds them up
    supervisor.wait_for_selector("#orders tbody tr:has(td:text('DESK-trader1'))", timeout=10_000)
    supervisor.wait_for_selector("#orders tbody tr:has(td:text('DESK-trader2'))", timeout=10_000)
    totals = supervisor.locator("#blotter-totals")
    totals.locator("[data-total='quantity']:text('1,000')").wait_for(timeout=10_000)
    assert totals.is_visible() and totals.locator("[data-total='orders']").inner_text() == "2"
    assert supervisor.inner_text("#orders-count") == "2 orders"
    # the orders are their traders' to amend or cancel
    assert supervisor.locator("#orders button[data-cancel], #orders button[data-amend]").count() == 0
    supervisor.screenshot(path=str(SCREENSHOTS / "supervisor-orders-live.png"), full_page=True)
