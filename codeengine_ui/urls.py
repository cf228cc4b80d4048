from allauth.socialaccount import views as provider_account_views
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from codeengine_ui.access import sign_in
from codeengine_ui.access.roles import Role, role_required
from codeengine_ui.access.views import SetPasswordView, SignInView, SignOutView
from codeengine_ui.dashboard import views as dashboard_views
from codeengine_ui.runs.views import health

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("", include("codeengine_ui.dashboard.urls")),
    path("", include("codeengine_ui.catalog.urls")),
    path("", include("codeengine_ui.runs.urls")),
    path("", include("codeengine_ui.suites.urls")),
    path("", include("codeengine_ui.tables.urls")),
    path("", include("codeengine_ui.load_runs.urls")),
    path("", include("codeengine_ui.access.urls")),
    path("", include("codeengine_ui.operations.urls")),
    path("", include("codeengine_ui.agents.urls")),
    path("health/", health, name="health"),
    path("api/v1/", include("codeengine_ui.api.urls", namespace="api")),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/login/", SignInView.as_view(), name="account_login"),  # allauth's name
    path("accounts/logout/", SignOutView.as_view(), name="logout"),
    # Sign-in with an identity provider (allauth's OpenID Connect views).
    path(
        "accounts/oidc/<str:provider_id>/login/",
        sign_in.provider_login,
        name="openid_connect_login",
    ),
    path(
        "accounts/oidc/<str:provider_id>/login/callback/",
        sign_in.provider_callback,
        name="openid_connect_callback",
    ),
    path(
        "accounts/oidc/cancelled/",
        provider_account_views.login_cancelled,
        name="socialaccount_login_cancelled",
    ),
    path(
        "accounts/oidc/error/",
        login_not_required(provider_account_views.login_error),
        name="socialaccount_login_error",
    ),
    path("accounts/oidc/signup/", provider_account_views.signup, name="socialaccount_signup"),
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
        SetPasswordView.as_view(),
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
handler500 = "codeengine_ui.error_pages.server_error"
