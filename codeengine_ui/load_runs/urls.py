from django.urls import path

from . import views

app_name = "load_runs"
urlpatterns = [
    path("functions/<int:function_id>/load/", views.function_load_runs, name="function_load_runs"),
    path("load-runs/", views.load_run_list, name="load_run_list"),
    path("load-runs/compare/", views.compare_load_runs, name="compare"),
    path("load-runs/<int:load_run_id>/", views.load_run, name="load_run"),
    path("load-runs/<int:load_run_id>/stop/", views.stop_load_run, name="stop"),
    path("load-runs/<int:load_run_id>/decision/", views.decide_load_run, name="decide"),
]
