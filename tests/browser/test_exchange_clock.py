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
