from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views import defaults
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


def _api_or_page(status: int, detail: str, page):
    """The API answers its errors in JSON, as documented; pages get the product's own page."""

    def handler(request, exception=None):
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": detail}, status=status)
        return page(request, exception) if exception is not None else page(request)

    return handler


handler404 = _api_or_page(404, "Not found.", defaults.page_not_found)
handler500 = _api_or_page(
    500, "Server error; it is logged. Nothing was saved unless an answer said so.", defaults.server_error
)
