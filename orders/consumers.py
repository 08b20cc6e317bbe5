from smarttrading import streams
from smarttrading.consumers import StreamConsumer

from .payloads import order_payloads
from .roles import TRADER, has_role
from .selectors import order_list


class OrdersConsumer(StreamConsumer):
    """A trader's own orders, live."""

    def allowed(self, user) -> bool:
        return has_role(user, TRADER)

    def group_name(self) -> str:
        return streams.user_orders_group(self.scope["user"].pk)

    def snapshot(self) -> dict:
        orders = order_list(user=self.scope["user"]).filter(account__owner=self.scope["user"]).order_by("-id")[:200]
        return {"orders": order_payloads(orders)}
