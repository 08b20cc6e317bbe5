"""Reads, filtered by who is asking."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Order, ParentOrder, Upload
from .roles import ANALYST, SUPERVISOR, has_role


def sees_all_orders(user) -> bool:
    return has_role(user, SUPERVISOR) or has_role(user, ANALYST)


def order_list(*, user) -> QuerySet[Order]:
    """Supervisors and analysts see every order, a trader only their own accounts'."""
    orders = Order.objects.select_related("account", "instrument")
    return orders if sees_all_orders(user) else orders.filter(account__owner=user)


def parent_list(*, user) -> QuerySet[ParentOrder]:
    parents = ParentOrder.objects.select_related("instrument")
    if sees_all_orders(user):
        return parents
    return parents.filter(orders__account__owner=user).distinct()


def upload_list(*, user) -> QuerySet[Upload]:
    """A trader sees their own uploads; supervisors every upload. The file content stays out."""
    uploads = Upload.objects.defer("content")
    return uploads if has_role(user, SUPERVISOR) else uploads.filter(uploaded_by=user)
