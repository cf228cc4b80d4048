app_name = "load_runs"
urlpatterns = []
