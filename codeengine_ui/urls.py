from django.apps import apps
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from codeengine_ui.access.roles import Role, role_required
from codeengine_ui.dashboard import views as dashboard_views
from codeengine_ui.runs.views import health

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("", include("codeengine_ui.dashboard.urls")),
    path("", include("codeengine_ui.catalog.urls")),
    path("", include("codeengine_ui.runs.urls")),
    path("", include("codeengine_ui.suites.urls")),
    path("", include("codeengine_ui.access.urls")),
    path("health/", health, name="health"),
    path("api/v1/", include("codeengine_ui.api.urls", namespace="api")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        role_required(Role.NONE)(
            auth_views.PasswordChangeView.as_view(success_url="/accounts/password/done/")
        ),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        role_required(Role.NONE)(auth_views.PasswordChangeDoneView.as_view()),
        name="password_change_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
]
if apps.is_installed("codeengine_ui.demo"):
    urlpatterns.append(path("", include("codeengine_ui.demo.urls")))

handler400 = "codeengine_ui.error_pages.bad_request"
