"""A volatility halt while a parent works: nothing is sent in the pause, the reopening cross
prices the news, the parent goes on after it, and the desk sees the pause live and afterwards."""

import pytest

from orders.models import AuditEvent, ParentStatus
from routing.market.clock import NS_PER_S, OPEN_NS, to_datetime
from routing.market.halts import PAUSE_S, NewsJump
from routing.models import ChildOrder, MarketSession
from routing.selectors import parent_panel_series, parent_reconciliation
from routing.services import sessions as sessions_service
from routing.services.steps import session_advance
from smarttrading import streams

from .test_tca import submit_two_buys

pytestmark = pytest.mark.django_db
NEWS_S = OPEN_NS // NS_PER_S + 120  # 09:32, inside the first 15 minutes' 10% bands


@pytest.fixture
def news_at_0932(monkeypatch):
    monkeypatch.setattr(sessions_service, "day_news_jumps", lambda *args, **kwargs: (NewsJump(NEWS_S, 0.15),))


def test_a_parent_works_through_a_volatility_halt_and_the_desk_sees_it(demo, news_at_0932, monkeypatch):
    # given a parent on XOM from the open, and what is published
    published = []
    monkeypatch.setattr(streams, "publish_on_commit", lambda group, message: published.append((group, message)))
    parent = submit_two_buys(quantity_each=(30_000, 20_000))
    session = MarketSession.objects.get(instrument=parent.instrument)

    # when its session steps it to its end
    for _ in range(300):
        session.refresh_from_db()
        if session.status != MarketSession.Status.RUNNING:
            break
        session_advance(session_id=session.pk, step_no=session.step_no)
    parent.refresh_from_db()
    at = lambda s: to_datetime(session.trading_date, s * NS_PER_S)  # noqa: E731

    # then trading paused at 09:32 for five minutes and reopened with a cross, both in the audit trail
    halted = AuditEvent.objects.get(kind="market.halted")
    reopened = AuditEvent.objects.get(kind="market.reopening_cross")
    assert (halted.sim_time, reopened.sim_time) == (at(NEWS_S), at(NEWS_S + PAUSE_S))
    assert (halted.detail["instrument"], halted.detail["venue"], reopened.detail["phase"]) == ("XOM", "NYSE", "REOPEN")
    reference = session.reference_ticks * session.instrument.tick_size
    assert float(reopened.detail["price"]) / float(reference) > 1.10  # the news's move, not the band's
    # no child went out in the pause, and the parent went on trading after it
    children = ChildOrder.objects.filter(parent=parent)
    assert not children.filter(sim_time__gte=at(NEWS_S), sim_time__lt=at(NEWS_S + PAUSE_S)).exists()
    assert children.filter(sim_time__gte=at(NEWS_S + PAUSE_S)).exists()
    assert parent.status in (ParentStatus.FILLED, ParentStatus.EXPIRED) and parent.filled_quantity > 0
    assert parent_reconciliation(parent)["balanced"]
    # the desk saw it live: the overview's board, and the parent's panel
    phases = [m["phase"] for g, m in published if g == streams.EXECUTION_GROUP and m["type"] == "auction"]
    assert phases[:3] == ["OPEN", "HALT", "REOPEN"]
    panel = [m["phase"] for g, m in published if g == streams.parent_group(parent.pk) and m["type"] == "cross"]
    assert panel == ["OPEN", "HALT", "REOPEN"]
    # and the panel's chart marks them on a fresh load
    assert [c["phase"] for c in parent_panel_series(parent)["crosses"]] == ["OPEN", "HALT", "REOPEN"]
