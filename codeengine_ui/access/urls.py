from django.urls import path

from . import views

app_name = "access"
urlpatterns = [
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/add/", views.token_add, name="token_add"),
    path("tokens/<int:token_id>/", views.token_detail, name="token_detail"),
    path("tokens/<int:token_id>/rotate/", views.token_rotate, name="token_rotate"),
    path("tokens/<int:token_id>/toggle/", views.token_toggle, name="token_toggle"),
    path("tokens/<int:token_id>/test/", views.token_test, name="token_test"),
    path("tokens/<int:token_id>/delete/", views.token_delete, name="token_delete"),
    path("team/", views.team, name="team"),
    path("team/<int:user_id>/role/", views.set_role, name="set_role"),
    path("audit/", views.audit_log, name="audit_log"),
    path("preferences/theme/", views.set_theme, name="set_theme"),
]
