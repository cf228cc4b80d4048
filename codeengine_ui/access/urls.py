from django.urls import path

from . import views

app_name = "access"
urlpatterns = [
    path("team/", views.team, name="team"),
    path("team/add/", views.add_user, name="add_user"),
    path("team/<int:user_id>/role/", views.set_role, name="set_role"),
    path("team/<int:user_id>/load-runs/", views.set_load_runs, name="set_load_runs"),
    path("team/<int:user_id>/password-link/", views.password_link, name="password_link"),
    path("audit/", views.audit_log, name="audit_log"),
    path("profile/", views.profile, name="profile"),
    path("profile/keys/<int:key_id>/revoke/", views.revoke_api_key, name="revoke_api_key"),
    path(
        "profile/sign-ins/<int:account_id>/unlink/",
        views.unlink_identity,
        name="unlink_identity",
    ),
    path("team/api-keys/", views.api_keys, name="api_keys"),
    path("preferences/theme/", views.set_theme, name="set_theme"),
]
