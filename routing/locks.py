"""Row locks of execution, taken in one order by everyone (after Saleor's ``lock_objects``):

    pending orders → market sessions → parents → a parent's orders, each set in a stable order

An execution step locks its session, then its parents, then (allocating) their orders.
Aggregation, a trader's cancel, supervisors' controls and the kill switch take the same
locks in the same order, so they queue behind a step rather than deadlock with it. Every
lock is ``of=("self",)``: on PostgreSQL a FOR UPDATE over a join also locks the joined
instruments and accounts, and an order insert waiting on one of those deadlocks with a step.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from orders.models import Order, OrderStatus, ParentOrder

from .models import MarketSession


def pending_orders_lock() -> QuerySet[Order]:
    """Every order waiting for aggregation, oldest first."""
    return (
        Order.objects.select_for_update(of=("self",))
        .filter(status=OrderStatus.PENDING_AGGREGATION)
        .order_by("received_at", "id")
    )


def sessions_lock(session_ids: Iterable[int]) -> list[MarketSession]:
    return list(
        MarketSession.objects.select_for_update(of=("self",))
        .select_related("instrument")
        .filter(pk__in=list(session_ids))
        .order_by("pk")
    )


def session_lock(session_id: int) -> MarketSession:
    (session,) = sessions_lock([session_id])
    return session


def parents_lock(condition: Q) -> list[ParentOrder]:
    return list(
        ParentOrder.objects.select_for_update(of=("self",))
        .select_related("instrument")
        .filter(condition)
        .order_by("id")
    )


def parent_lock(parent_id: int) -> ParentOrder:
    (parent,) = parents_lock(Q(pk=parent_id))
    return parent
