from django.urls import path

from . import views

app_name = "runs"
urlpatterns = [
    path("functions/<int:function_id>/run/", views.function_run, name="function_run"),
    path("executions/", views.execution_list, name="execution_list"),
    path("executions/<int:execution_id>/", views.execution_detail, name="execution_detail"),
]
