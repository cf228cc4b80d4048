from django.urls import path

from . import views

app_name = "runs"
urlpatterns = [
    path("functions/<int:function_id>/run/", views.function_run, name="function_run"),
    path("functions/<int:function_id>/editor/", views.function_editor, name="function_editor"),
    path("functions/<int:function_id>/panel/", views.run_panel, name="run_panel"),
    path(
        "functions/<int:function_id>/directory/<str:kind>/",
        views.directory_search,
        name="directory_search",
    ),
    path("functions/<int:function_id>/presets/", views.save_form_preset, name="save_form_preset"),
    path("executions/", views.execution_list, name="execution_list"),
    path("executions/export.<str:file_format>", views.export_executions, name="export"),
    path("executions/live/", views.history_live, name="history_live"),
    path("executions/compare/", views.compare_executions, name="compare"),
    path("executions/<int:execution_id>/", views.execution_detail, name="execution_detail"),
    path(
        "executions/<int:execution_id>/result.json", views.execution_result, name="execution_result"
    ),
    path(
        "executions/<int:execution_id>/<str:stream>.txt", views.execution_log, name="execution_log"
    ),
    path("executions/<int:execution_id>/stop/", views.stop_execution, name="stop_execution"),
    path("executions/<int:execution_id>/run-again/", views.run_again, name="run_again"),
    path(
        "executions/<int:execution_id>/preset/",
        views.save_execution_preset,
        name="save_execution_preset",
    ),
]
