from django.urls import path

from orders.consumers import OrdersConsumer
from routing.consumers import ExecutionConsumer, ParentConsumer
from tca.consumers import TcaJobsConsumer

websocket_urlpatterns = [
    path("ws/orders/", OrdersConsumer.as_asgi()),
    path("ws/execution/", ExecutionConsumer.as_asgi()),
    path("ws/execution/<int:parent_id>/", ParentConsumer.as_asgi()),
    path("ws/tca/", TcaJobsConsumer.as_asgi()),
]
