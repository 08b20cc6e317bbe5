from django.urls import path

from . import views

app_name = "gateway"
urlpatterns = [path("", views.sessions_page, name="sessions")]
