"""The functions an AI agent may use as tools: those its person may run now (a member,
with a token of the function's instance granted to them), narrowed by its key's or its
connected client's limit. Read at every request, so a revoked grant or role takes effect
at once."""

from django.db.models import QuerySet

from codeengine_ui.access.roles import Role, role_of
from codeengine_ui.catalog.models import AccessToken, Function

from .models import ToolLimit


def runnable_functions(user) -> QuerySet[Function]:
    if not user.is_active or role_of(user) < Role.MEMBER:
        return Function.objects.none()
    instances = AccessToken.objects.usable_by(user).values("instance")
    return (
        Function.objects.filter(instance__in=instances)
        .select_related("instance")
        .order_by("instance__name", "package_id", "function_name", "version", "pk")
    )


def tool_functions(user, limit: ToolLimit | None) -> QuerySet[Function]:
    """The functions `user`'s agent may use: all they may run, or those of `limit`."""
    functions = runnable_functions(user)
    if limit is not None:
        functions = functions.filter(pk__in=limit.functions.values("pk"))
    return functions


def limit_of_key(api_key) -> ToolLimit | None:
    return ToolLimit.objects.filter(api_key=api_key).first()


def limit_of_client(user, application) -> ToolLimit | None:
    return ToolLimit.objects.filter(user=user, oauth_application=application).first()
