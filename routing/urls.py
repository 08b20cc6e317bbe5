from django.urls import path

from . import views

app_name = "routing"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<int:parent_id>/", views.parent_panel, name="parent"),
]
