from django.urls import path

from . import views

app_name = "suites"
urlpatterns = [
    path("executions/<int:execution_id>/save-as-test/", views.save_as_test, name="save_as_test"),
    path("functions/<int:function_id>/tests/new/", views.new_case, name="new_case"),
    path("tests/<int:case_id>/", views.case_detail, name="case_detail"),
    path("tests/<int:case_id>/delete/", views.delete_case, name="delete_case"),
    path("tests/<int:case_id>/ignore/", views.ignore_path, name="ignore_path"),
    path("tests/<int:case_id>/snapshot.json", views.case_snapshot, name="case_snapshot"),
    path("suites/", views.suite_list, name="suite_list"),
    path("suites/<int:suite_id>/", views.suite_detail, name="suite_detail"),
    path("suites/<int:suite_id>/monitor/", views.suite_monitor, name="suite_monitor"),
    path("suite-runs/compare/", views.compare_suite_runs, name="compare_suite_runs"),
    path("suite-runs/<int:suite_run_id>/", views.suite_run, name="suite_run"),
    path("suite-runs/<int:suite_run_id>/junit.xml", views.suite_run_junit, name="suite_run_junit"),
]
