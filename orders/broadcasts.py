"""Changed orders streamed to their owners after commit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from smarttrading import streams

from .models import Order
from .payloads import order_payload

# Beyond this many changed orders a user's stream gets one "orders_changed" and resyncs.
BROADCAST_ORDERS_MAX = 200


def orders_publish(orders: Iterable[Order]) -> None:
    """Stream changed orders to their owners; a big batch becomes one resync hint."""
    by_owner: dict[int, list[Order]] = defaultdict(list)
    for order in orders:
        by_owner[order.account.owner_id].append(order)
    for owner_id, changed in by_owner.items():
        group = streams.user_orders_group(owner_id)
        if len(changed) > BROADCAST_ORDERS_MAX:
            streams.publish_on_commit(group, {"type": "orders_changed", "count": len(changed)})
        else:
            streams.publish_on_commit(group, {"type": "order", "orders": [order_payload(o) for o in changed]})


def order_ids_publish(ids_by_owner: Mapping[int, list[int]]) -> None:
    for owner_id, ids in ids_by_owner.items():
        group = streams.user_orders_group(owner_id)
        if len(ids) > BROADCAST_ORDERS_MAX:
            streams.publish_on_commit(group, {"type": "orders_changed", "count": len(ids)})
            continue
        orders = Order.objects.filter(pk__in=ids).select_related("account", "instrument").order_by("id")
        streams.publish_on_commit(group, {"type": "order", "orders": [order_payload(o) for o in orders]})
