from django.urls import path

from . import views

app_name = "tables"
urlpatterns = [
    path("functions/<int:function_id>/table/", views.new_table_run, name="new_table_run"),
    path("table-runs/<int:table_run_id>/", views.table_run, name="table_run"),
    path("table-runs/<int:table_run_id>/mapping/", views.update_draft, name="update_draft"),
    path("table-runs/<int:table_run_id>/progress/", views.table_run_progress, name="progress"),
    path("table-runs/<int:table_run_id>/again/", views.run_again, name="run_again"),
    path(
        "table-runs/<int:table_run_id>/results.<str:file_format>",
        views.export_rows,
        name="export_rows",
    ),
]
