"""A child's status table: every report a venue can send has a meaning in every open status."""

import pytest

from routing.engine.children import (
    ACKNOWLEDGED,
    AMENDED,
    CANCELLED,
    DONE,
    DONE_CANCELED,
    DONE_FILLED,
    DONE_REJECTED,
    FULLY_FILLED,
    LIVE,
    PARTLY_FILLED,
    REFUSED,
    SENT,
    TRANSITIONS,
    clip,
    report_meaning,
)
from routing.market.messages import ACCEPTED, CANCELED, FILLED, REJECTED, REPLACED

MEANINGS = (ACKNOWLEDGED, PARTLY_FILLED, FULLY_FILLED, CANCELLED, REFUSED, AMENDED)


@pytest.mark.parametrize("status", [SENT, LIVE])
@pytest.mark.parametrize("meaning", MEANINGS)
def test_every_report_moves_an_open_child_somewhere(status, meaning):
    after, _ = TRANSITIONS[(status, meaning)]
    assert after in (SENT, LIVE) or after in DONE


def test_the_table_holds_no_finished_status():
    assert {status for status, _ in TRANSITIONS} == {SENT, LIVE}


@pytest.mark.parametrize(
    ("status", "meaning", "after", "event"),
    [
        (SENT, ACKNOWLEDGED, LIVE, None),
        (LIVE, FULLY_FILLED, DONE_FILLED, "child.filled"),
        (LIVE, PARTLY_FILLED, LIVE, "child.filled"),
        (SENT, REFUSED, DONE_REJECTED, "child.rejected"),
        (LIVE, REFUSED, LIVE, "child.replace_rejected"),  # a refused replace: the order stands
        (LIVE, CANCELLED, DONE_CANCELED, "child.cancelled"),
    ],
)
def test_transitions(status, meaning, after, event):
    assert TRANSITIONS[(status, meaning)] == (after, event)


@pytest.mark.parametrize(
    ("kind", "leaves", "meaning"),
    [
        (ACCEPTED, 500, ACKNOWLEDGED),
        (FILLED, 100, PARTLY_FILLED),
        (FILLED, 0, FULLY_FILLED),
        (CANCELED, 0, CANCELLED),
        (REJECTED, 0, REFUSED),
        (REPLACED, 300, AMENDED),
    ],
)
def test_a_report_means_what_its_kind_and_leaves_say(kind, leaves, meaning):
    assert report_meaning(kind, leaves) == meaning


@pytest.mark.parametrize(
    ("wanted", "lot", "room", "remaining", "size"),
    [
        (250, 10, 1_000, 5_000, 200),  # round lots while a round lot is left to do
        (250, 10, 150, 5_000, 100),  # never beyond the room
        (70, 10, 1_000, 70, 70),  # the last odd lots of a parent go out as they are
    ],
)
def test_children_are_cut_in_round_lots(wanted, lot, room, remaining, size):
    assert clip(wanted, lot, room, remaining) == size
