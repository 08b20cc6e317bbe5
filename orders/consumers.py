from smarttrading import streams
from smarttrading.consumers import StreamConsumer

from .payloads import order_payloads
from .roles import SUPERVISOR, TRADER, has_role
from .selectors import order_list


class OrdersConsumer(StreamConsumer):
    """A trader's own orders, live; a supervisor's, every trader's."""

    own = True  # a trader's own orders; set when the socket connects

    def allowed(self, user) -> bool:
        self.own = has_role(user, TRADER)
        return self.own or has_role(user, SUPERVISOR)

    def group_name(self) -> str:
        return streams.user_orders_group(self.scope["user"].pk) if self.own else streams.DESK_ORDERS_GROUP

    def snapshot(self) -> dict:
        orders = order_list(user=self.scope["user"])
        if self.own:
            orders = orders.filter(account__owner=self.scope["user"])
        return {"orders": order_payloads(orders.order_by("-id")[:200])}
