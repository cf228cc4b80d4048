from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("home/in-flight/", views.in_flight, name="in_flight"),
]
