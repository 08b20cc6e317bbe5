from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from orders import views as order_views

urlpatterns = [
    path("", order_views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("orders/", include("orders.urls")),
    path("execution/", include("routing.urls")),
    path("tca/", include("tca.urls")),
    path("fix/", include("gateway.urls")),
    path("api/v1/", include(("smarttrading.api_urls", "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the CSP runs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
