"""What the execution streams send on connect: the panel's series, and one snapshot build per seq."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest

from orders.domain.values import quantize_price
from orders.models import ParentStatus
from routing.models import Fill, MarketSession
from routing.selectors import parent_panel_series
from routing.services.steps import session_advance
from smarttrading import consumers, streams

from .test_tca import executed_parent, submit_two_buys

pytestmark = pytest.mark.django_db(transaction=True)


def test_panel_series_has_one_executed_point_per_filling_time_counted_like_filled_quantity(demo):
    # given an executed parent with many fills
    parent = executed_parent()
    fills = list(Fill.objects.filter(parent=parent).order_by("sim_time", "id"))
    times = sorted({f.sim_time for f in fills})

    # when the panel's series are read
    executed = parent_panel_series(parent)["executed"]

    # then there is a point per simulated time that filled, rising to the parent's filled quantity
    assert len(executed) == len(times)
    filled_by = [parent.crossed_quantity + sum(f.quantity for f in fills if f.sim_time <= t) for t in times]
    assert [p["filled"] for p in executed] == filled_by
    assert executed[-1]["filled"] == parent.filled_quantity == 2_000


def test_the_live_market_bars_are_the_ones_a_fresh_load_draws(demo, monkeypatch):
    # given a parent working on XOM, and what its panel is sent
    published = []
    monkeypatch.setattr(streams, "publish_on_commit", lambda group, message: published.append((group, message)))
    parent = submit_two_buys()
    session = MarketSession.objects.get(instrument=parent.instrument)

    # when its session takes six steps
    for _ in range(6):
        session.refresh_from_db()
        session_advance(session_id=session.pk, step_no=session.step_no)
    parent.refresh_from_db()
    assert parent.status == ParentStatus.WORKING

    # then the panel was sent a bar a simulated second, each step's in one message, and they are
    # the bars (mid and market VWAP so far) the panel's snapshot draws on a fresh load
    messages = [m for g, m in published if g == streams.parent_group(parent.pk) and m["type"] == "market"]
    assert len(messages) == 6
    live = [bar for m in messages for bar in m["bars"]]
    drawn = parent_panel_series(parent)["market"]
    assert len(live) == len(drawn) == 6 * len(messages[0]["bars"]) > 6

    def read(bars):
        return [(b["time"], Decimal(b["mid"]), Decimal(b["vwap"])) for b in bars]

    assert read(live) == read(drawn)
    assert Decimal(live[-1]["vwap"]) == quantize_price(parent.interval_vwap)


class _CountingConsumer:
    def __init__(self, group: str, builds: list[int]):
        self.group, self.builds = group, builds

    def snapshot_text(self, seq: int) -> str:
        self.builds.append(seq)
        return json.dumps({"type": "snapshot", "seq": seq, "builds": len(self.builds)})


async def test_sockets_joining_at_the_same_seq_share_one_snapshot_build():
    builds: list[int] = []
    sockets = [_CountingConsumer("execution.parent.1", builds) for _ in range(50)]

    # when fifty sockets ask at once at seq 7, then one more after the stream moved on to seq 8
    texts = await asyncio.gather(*(consumers._shared_snapshot(s, 7) for s in sockets))
    later = await consumers._shared_snapshot(sockets[0], 8)

    # then seq 7 was built once for all fifty, and seq 8 was built afresh
    assert builds == [7, 8]
    assert set(texts) == {json.dumps({"type": "snapshot", "seq": 7, "builds": 1})}
    assert json.loads(later) == {"type": "snapshot", "seq": 8, "builds": 2}


async def test_a_failed_snapshot_build_is_not_shared_with_the_next_socket():
    class Failing(_CountingConsumer):
        def snapshot_text(self, seq: int) -> str:
            super().snapshot_text(seq)
            if len(self.builds) == 1:
                raise RuntimeError("database went away")
            return "ok"

    builds: list[int] = []
    with pytest.raises(RuntimeError):
        await consumers._shared_snapshot(Failing("orders.user.9", builds), 3)
    assert await consumers._shared_snapshot(Failing("orders.user.9", builds), 3) == "ok"
    assert builds == [3, 3]
