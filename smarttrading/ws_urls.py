from django.urls import path

from orders.consumers import OrdersConsumer
from routing.consumers import ExecutionConsumer, ParentConsumer

websocket_urlpatterns = [
    path("ws/orders/", OrdersConsumer.as_asgi()),
    path("ws/execution/", ExecutionConsumer.as_asgi()),
    path("ws/execution/<int:parent_id>/", ParentConsumer.as_asgi()),
]
