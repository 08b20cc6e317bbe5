"""The header's exchange clock reads what the server's ExchangeClock reads, and ticks."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from routing.market.clock import NS_PER_S, ExchangeClock
from routing.models import ExchangeClockSetting

from .conftest import SCREENSHOTS, login

pytestmark = [pytest.mark.browser]


def test_the_header_clock_reads_the_servers_exchange_time_and_ticks(live_stack, browser):
    # given a supervisor's page on the stack, whose time runs 30x (the clock is set at its first need)
    page = login(browser, live_stack, "supervisor1")
    data = page.eval_on_selector("#exchange-clock", "el => Object.assign({}, el.dataset)")
    setting = ExchangeClockSetting.objects.get()
    clock = ExchangeClock(int(data["openedAtMs"]) * 1_000_000, date.fromisoformat(data["firstDate"]), 30.0)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert (int(data["openedAtMs"]), clock.first_date, float(data["speed"])) == (
        (setting.opened_at - epoch) // timedelta(milliseconds=1),
        setting.first_trading_date,
        setting.speed,
    )

    # when it is read twice, two wall seconds apart
    readings = []
    for _ in range(2):
        page.wait_for_function("() => document.getElementById('exchange-clock').dataset.reads")
        readings.append(page.evaluate("() => [document.getElementById('exchange-clock').dataset.reads, Date.now()]"))
        time.sleep(2)

    # then each is the server clock's reading at that instant, to within a render interval
    seconds = []
    for reads, at_ms in readings:
        trading_date, ns = clock.now(at_ms * 1_000_000)
        assert reads[:10] == trading_date.isoformat()
        h, m, s = map(int, reads[11:].split(":"))
        seconds.append(h * 3600 + m * 60 + s)
        assert abs(seconds[-1] - ns // NS_PER_S) <= 2
    # and two wall seconds moved it a simulated minute
    assert 55 <= seconds[1] - seconds[0] <= 65
    assert page.inner_text("#exchange-clock").endswith(" ET")
    page.locator("header.topbar").screenshot(path=str(SCREENSHOTS / "exchange-clock.png"))


def test_in_the_pre_open_the_header_says_so_and_stays_one_line(live_stack, browser):
    # given the clock set so that the open is 20 wall seconds away: ten simulated minutes at 30x
    page = login(browser, live_stack, "supervisor1")
    setting = ExchangeClockSetting.objects.get()
    setting.opened_at = datetime.now(UTC) + timedelta(seconds=20)
    setting.save()

    # when a supervisor's page is opened at a desk width of 1024 px
    page.set_viewport_size({"width": 1024, "height": 700})
    page.goto(live_stack + "/execution/")
    page.wait_for_function("() => document.getElementById('exchange-clock').dataset.reads")

    # then the clock reads the pre-open, about 09:20, and says so
    clock = page.locator("#exchange-clock")
    assert "09:19:00" <= clock.get_attribute("data-reads")[11:] < "09:21:00"
    assert clock.locator(".phase").inner_text().lower() == "pre-open"
    page.locator("header.topbar").screenshot(path=str(SCREENSHOTS / "exchange-clock-pre-open.png"))
    # and the header still fits one line beside the menu
    assert clock.bounding_box()["y"] < page.locator(".topbar nav").bounding_box()["y"] + 20
