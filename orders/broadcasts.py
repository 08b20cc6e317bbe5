"""Changed orders streamed after commit to their owners, and to the desk's supervisors."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from smarttrading import streams

from .models import ORDER_WORKING_STATUSES, Order
from .payloads import order_payloads

# Beyond this many changed orders a user's stream gets one "orders_changed" and resyncs.
BROADCAST_ORDERS_MAX = 200


def orders_publish(orders: Iterable[Order]) -> None:
    """Stream changed orders to their owners and the desk; a big batch becomes one resync hint."""
    by_owner: dict[int, list[Order]] = defaultdict(list)
    for order in orders:
        by_owner[order.account.owner_id].append(order)
    desk: list[dict] = []
    for owner_id, changed in by_owner.items():
        group = streams.user_orders_group(owner_id)
        if len(changed) > BROADCAST_ORDERS_MAX:
            streams.publish_on_commit(group, {"type": "orders_changed", "count": len(changed)})
        else:
            payloads = order_payloads(changed)
            streams.publish_on_commit(group, {"type": "order", "orders": payloads})
            desk += payloads
    _desk_publish(desk, changed=sum(len(c) for c in by_owner.values()))


def order_ids_publish(ids_by_owner: Mapping[int, list[int]]) -> None:
    desk: list[dict] = []
    for owner_id, ids in ids_by_owner.items():
        group = streams.user_orders_group(owner_id)
        if len(ids) > BROADCAST_ORDERS_MAX:
            streams.publish_on_commit(group, {"type": "orders_changed", "count": len(ids)})
            continue
        orders = Order.objects.filter(pk__in=ids).select_related("account", "instrument").order_by("id")
        payloads = order_payloads(orders)
        streams.publish_on_commit(group, {"type": "order", "orders": payloads})
        desk += payloads
    _desk_publish(desk, changed=sum(len(ids) for ids in ids_by_owner.values()))


def _desk_publish(payloads: list[dict], *, changed: int) -> None:
    """The supervisors' blotter: every trader's changed orders in one message."""
    if changed > BROADCAST_ORDERS_MAX:
        streams.publish_on_commit(streams.DESK_ORDERS_GROUP, {"type": "orders_changed", "count": changed})
    elif payloads:
        streams.publish_on_commit(streams.DESK_ORDERS_GROUP, {"type": "order", "orders": payloads})


def parent_orders_publish(parent_ids) -> None:
    """Parents paused or resumed: the owners of their working orders see them held, or working again."""
    by_owner: dict[int, list[int]] = defaultdict(list)
    for owner_id, order_id in Order.objects.filter(
        parent__in=list(parent_ids), status__in=ORDER_WORKING_STATUSES
    ).values_list("account__owner_id", "pk"):
        by_owner[owner_id].append(order_id)
    order_ids_publish(by_owner)
