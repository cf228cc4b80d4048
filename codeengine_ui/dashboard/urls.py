from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("functions/", views.function_list, name="function_list"),
    path("functions/switcher/", views.function_switcher, name="function_switcher"),
    path("functions/<int:function_id>/star/", views.toggle_star, name="toggle_star"),
    path("home/in-flight/", views.in_flight, name="in_flight"),
    path("tokens/<int:token_id>/impact/", views.token_impact_page, name="token_impact"),
]
