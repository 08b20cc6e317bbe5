from django.urls import path, re_path

from . import views

app_name = "tca"
urlpatterns = [
    path("", views.index, name="index"),
    path("parents/<int:parent_id>/", views.parent, name="parent"),
    re_path(r"^parents/(?P<parent_id>\d+)/report\.(?P<kind>csv|xlsx|html)$", views.parent_download, name="download"),
]
