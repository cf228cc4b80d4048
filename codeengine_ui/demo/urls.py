from django.urls import path

from . import views

app_name = "demo"
urlpatterns = [
    path("functions/import/sample-manifest.json", views.sample_manifest, name="sample_manifest"),
]
