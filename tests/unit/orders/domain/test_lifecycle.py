"""The order state table: what it allows, and the reasons it gives for what it does not."""

import pytest

from orders.domain.lifecycle import (
    OrderEvent,
    OrderStatus,
    TransitionRefused,
    after_fill,
    after_replace,
    order_transition,
)

S, E = OrderStatus, OrderEvent


@pytest.mark.parametrize("pending", [S.PENDING_CANCEL, S.PENDING_REPLACE])
@pytest.mark.parametrize("event", [E.CANCEL_REQUESTED, E.REPLACE_REQUESTED, E.REPLACED])
def test_nothing_new_is_taken_while_a_cancel_or_replace_is_pending(pending, event):
    # an amend that would apply at once (REPLACED) is refused too: it once slipped past a
    # pending replace and left the order with two pending amends
    with pytest.raises(TransitionRefused, match="pending"):
        order_transition(pending, event)


def test_a_pending_replace_applies_to_working_or_partly_filled_and_a_requeue_goes_back_to_aggregation():
    assert after_replace(S.PENDING_REPLACE, filled=0) == S.WORKING
    assert after_replace(S.PENDING_REPLACE, filled=300) == S.PARTIALLY_FILLED
    assert order_transition(S.PENDING_REPLACE, E.REQUEUED) == S.PENDING_AGGREGATION


def test_fills_crossing_a_pending_replace_keep_it_pending_until_nothing_is_left():
    assert after_fill(S.PENDING_REPLACE, remaining=100, cancelled=0) == S.PENDING_REPLACE
    assert after_fill(S.PENDING_REPLACE, remaining=0, cancelled=0) == S.FILLED


def test_a_finished_order_is_refused_with_what_it_is():
    with pytest.raises(TransitionRefused, match="the order is filled: it cannot be amended"):
        order_transition(S.FILLED, E.REPLACE_REQUESTED)
