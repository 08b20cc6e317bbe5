"""An order's life as a table, in FIX's vocabulary. Pure Python.

Every status change of an order goes through ``order_transition``: a change the table does
not hold is refused with the reason, never asserted, so a cancel that comes too late, or an
event for an order that is done, is an answer the trader reads rather than a crash.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    NEW = "NEW"  # received, not yet checked
    PENDING_AGGREGATION = "PENDING_AGGREGATION"
    WORKING = "WORKING"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"  # a cancel asked for while children are out at venues
    CANCELLED = "CANCELLED"
    PENDING_REPLACE = "PENDING_REPLACE"
    REPLACED = "REPLACED"
    EXPIRED = "EXPIRED"
    DONE_FOR_DAY = "DONE_FOR_DAY"
    REJECTED = "REJECTED"


class OrderEvent(StrEnum):
    ACCEPTED = "accepted"  # passed intake and the pre-trade checks
    REJECTED = "rejected"  # a pre-trade check, or the kill switch
    AGGREGATED = "aggregated"  # taken into a parent
    PARTLY_FILLED = "partly_filled"  # by a cross or a market fill, shares still to do
    FILLED = "filled"  # nothing left to do
    CANCEL_REQUESTED = "cancel_requested"  # by the trader, while it works in a parent
    CANCELLED = "cancelled"  # what was left is given up (the trader's cancel, or the parent's)
    EXPIRED = "expired"  # its parent reached its end time before the close
    DAY_ENDED = "day_ended"  # the market closed with it unfinished: FIX's DoneForDay
    REPLACE_REQUESTED = "replace_requested"  # an amend that needs shares back from the venues first
    REPLACED = "replaced"  # an amend applied at once: new terms, same order, a new client_order_id
    REPLACE_APPLIED = "replace_applied"  # a pending amend applied, once the venues gave the shares back
    REQUEUED = "requeued"  # new terms its parent cannot run: it waits to join a compatible parent


S, E = OrderStatus, OrderEvent
_OPEN_IN_PARENT = (S.WORKING, S.PARTIALLY_FILLED)
_PENDING = (S.PENDING_CANCEL, S.PENDING_REPLACE)
TRANSITIONS: dict[tuple[OrderStatus, OrderEvent], OrderStatus] = {
    (S.NEW, E.ACCEPTED): S.PENDING_AGGREGATION,
    (S.NEW, E.REJECTED): S.REJECTED,
    (S.PENDING_AGGREGATION, E.AGGREGATED): S.WORKING,
    (S.PENDING_AGGREGATION, E.PARTLY_FILLED): S.PARTIALLY_FILLED,  # crossed in part as it is aggregated
    (S.PENDING_AGGREGATION, E.FILLED): S.FILLED,  # crossed in full
    (S.PENDING_AGGREGATION, E.CANCELLED): S.CANCELLED,  # in no parent yet: it simply ends
    (S.PENDING_AGGREGATION, E.REPLACED): S.PENDING_AGGREGATION,  # in no parent yet: amended at once
    **{(status, E.PARTLY_FILLED): S.PARTIALLY_FILLED for status in _OPEN_IN_PARENT},
    **{(status, E.FILLED): S.FILLED for status in _OPEN_IN_PARENT},
    **{(status, E.CANCEL_REQUESTED): S.PENDING_CANCEL for status in _OPEN_IN_PARENT},
    **{(status, E.CANCELLED): S.CANCELLED for status in (*_OPEN_IN_PARENT, S.PENDING_CANCEL)},
    **{(status, E.EXPIRED): S.EXPIRED for status in _OPEN_IN_PARENT},
    # A size-up is applied at once (the parent takes more); a size-down, or new terms, first
    # waits for the shares its parent has out at venues.
    **{(status, E.REPLACED): status for status in _OPEN_IN_PARENT},
    **{(status, E.REPLACE_REQUESTED): S.PENDING_REPLACE for status in _OPEN_IN_PARENT},
    # Shares out at a venue when the cancel or replace came still fill; it completes when none is left.
    **{(status, E.PARTLY_FILLED): status for status in _PENDING},
    **{(status, E.FILLED): S.FILLED for status in _PENDING},  # filled in full first: too late
    (S.PENDING_CANCEL, E.EXPIRED): S.CANCELLED,  # the trader asked for it to end: it ends cancelled
    (S.PENDING_REPLACE, E.EXPIRED): S.EXPIRED,
    **{(status, E.DAY_ENDED): S.DONE_FOR_DAY for status in (*_OPEN_IN_PARENT, S.PENDING_REPLACE)},
    (S.PENDING_CANCEL, E.DAY_ENDED): S.CANCELLED,
    (S.PENDING_REPLACE, E.CANCELLED): S.CANCELLED,  # its parent was cancelled under it
    (S.PENDING_REPLACE, E.REPLACE_APPLIED): S.WORKING,  # see after_replace: PARTIALLY_FILLED when it has fills
    (S.PENDING_REPLACE, E.REQUEUED): S.PENDING_AGGREGATION,
}
FINISHED = frozenset({S.FILLED, S.CANCELLED, S.REPLACED, S.EXPIRED, S.DONE_FOR_DAY, S.REJECTED})
# Still to be filled in a parent, so fills are allocated to it.
IN_PARENT = frozenset({S.WORKING, S.PARTIALLY_FILLED, S.PENDING_CANCEL, S.PENDING_REPLACE})


class TransitionRefused(ValueError):
    """The table holds no such change; the message says why, for the trader."""


def order_transition(status: str, event: str) -> OrderStatus:
    status, event = OrderStatus(status), OrderEvent(event)
    after = TRANSITIONS.get((status, event))
    if after is not None:
        return after
    if status in FINISHED:
        raise TransitionRefused(f"the order is {status.value.lower().replace('_', ' ')}: it cannot be {_past(event)}")
    if status == S.PENDING_CANCEL and event in (E.CANCEL_REQUESTED, E.REPLACE_REQUESTED, E.REPLACED):
        raise TransitionRefused("a cancel is already pending: the shares out at venues are being cancelled")
    if status == S.PENDING_REPLACE and event in (E.CANCEL_REQUESTED, E.REPLACE_REQUESTED, E.REPLACED):
        raise TransitionRefused("a replace is pending: try again once it has applied")
    raise TransitionRefused(f"a {status.value} order cannot be {_past(event)}")


def after_fill(status: str, *, remaining: int, cancelled: int) -> OrderStatus:
    """Where a fill (or a cross) leaves an order. Done when nothing is left: filled, or, for a
    pending cancel whose shares out at venues have now all filled, cancelled with what it got."""
    if remaining:
        return order_transition(status, E.PARTLY_FILLED)
    if OrderStatus(status) == S.PENDING_CANCEL and cancelled:
        return order_transition(status, E.CANCELLED)
    return order_transition(status, E.FILLED)


def after_replace(status: str, *, filled: int) -> OrderStatus:
    """Where a pending replace, applied, leaves an order still in its parent: working, or partly filled."""
    after = order_transition(status, E.REPLACE_APPLIED)
    return order_transition(after, E.PARTLY_FILLED) if filled and after == S.WORKING else after


def _past(event: OrderEvent) -> str:
    return {
        E.ACCEPTED: "accepted",
        E.REJECTED: "rejected",
        E.AGGREGATED: "aggregated",
        E.PARTLY_FILLED: "filled",
        E.FILLED: "filled",
        E.CANCEL_REQUESTED: "cancelled",
        E.CANCELLED: "cancelled",
        E.EXPIRED: "expired",
        E.DAY_ENDED: "ended for the day",
        E.REPLACE_REQUESTED: "amended",
        E.REPLACED: "amended",
        E.REPLACE_APPLIED: "amended",
        E.REQUEUED: "moved to another parent",
    }[event]
