"""Row locks on accounts and orders: the last in execution's lock order (see ``routing.locks``)."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import ORDER_WORKING_STATUSES, Account, Order, ParentOrder


def accounts_lock(account_ids: list[int]) -> None:
    """Concurrent batches of one account see each other's risk usage. NO KEY UPDATE: rows
    that merely reference an account (its new orders) are not held up by the lock."""
    list(Account.objects.select_for_update(no_key=True).filter(pk__in=account_ids).order_by("pk").values_list("pk"))


def order_lock(order_id: int) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("instrument", "account").get(pk=order_id)


def working_orders_lock(parent: ParentOrder) -> QuerySet[Order]:
    """A parent's orders that can still be filled, in allocation order (earliest first)."""
    return (
        parent.orders.select_for_update(of=("self",))
        .filter(status__in=ORDER_WORKING_STATUSES)
        .select_related("account", "instrument")
        .order_by("received_at", "id")
    )
