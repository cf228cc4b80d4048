"""What a failing or expiring access token would break: the saved functions that use it by
default or whose runs used it in the last 30 days, their presets, and the suites and
monitors that test them."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from codeengine_ui.catalog.models import AccessToken, Function, InputPreset
from codeengine_ui.runs.models import Execution
from codeengine_ui.suites.models import Suite

RECENT_USE = timedelta(days=30)


def token_impact(token: AccessToken) -> dict:
    recently = Execution.objects.filter(
        token=token, queued_at__gte=timezone.now() - RECENT_USE
    ).values("function_id")
    functions = list(
        Function.objects.filter(Q(default_token=token) | Q(pk__in=recently))
        .select_related("instance")
        .distinct()
    )
    suites = list(Suite.objects.filter(cases__function__in=functions).distinct())
    return {
        "functions": functions,
        "presets": InputPreset.objects.filter(function__in=functions).count(),
        "suites": suites,
        "monitors": [suite for suite in suites if suite.schedule],
    }
