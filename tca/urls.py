from django.urls import path, re_path

from . import views

app_name = "tca"
urlpatterns = [
    path("", views.index, name="index"),
    path("reports/", views.desk_report_create, name="job-create"),
    path("filters/", views.saved_filters_create, name="filters-save"),
    path("filters/<int:saved_id>/delete/", views.saved_filters_remove, name="filters-delete"),
    path("reports/<int:job_id>/", views.job, name="job"),
    re_path(r"^reports/(?P<job_id>\d+)/report\.(?P<kind>zip|xlsx|html)$", views.job_download, name="job-download"),
    path("parents/<int:parent_id>/", views.parent, name="parent"),
    path("parents/<int:parent_id>/compare/", views.parent_compare, name="compare"),
    re_path(r"^parents/(?P<parent_id>\d+)/report\.(?P<kind>zip|xlsx|html)$", views.parent_download, name="download"),
]
