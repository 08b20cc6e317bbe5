from django.urls import path, re_path

from . import views

app_name = "orders"
urlpatterns = [
    path("", views.blotter, name="blotter"),
    re_path(r"^export\.(?P<kind>csv|xlsx)$", views.blotter_export, name="blotter-export"),
    path("upload/", views.upload, name="upload"),
    path("risk/", views.risk_limits, name="risk-limits"),
    path("upload/template.csv", views.upload_template_csv, name="upload-template"),
    path("upload/<int:upload_id>/", views.upload_detail, name="upload-detail"),
    path("upload/<int:upload_id>/errors.csv", views.upload_errors_csv, name="upload-errors"),
]
