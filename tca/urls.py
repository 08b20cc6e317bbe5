from django.urls import path

from . import views

app_name = "tca"
urlpatterns = [path("", views.index, name="index")]
