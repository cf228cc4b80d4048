from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.function_list, name="function_list"),
    path("<int:function_id>/star/", views.toggle_star, name="toggle_star"),
]
