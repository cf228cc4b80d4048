from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from codeengine_ui.timezones import server_today

from .importing import check_newest_versions
from .models import AccessToken
from .tokens import BACKGROUND, test_connection, warn_of_expiries

VERSION_CHECK_INTERVAL = timedelta(hours=1)
TOKEN_CHECK_INTERVAL = timedelta(days=1)


@task
def check_function_versions() -> int:
    """Find saved functions that pin an older version than the newest released one."""
    return check_newest_versions(checked_before=timezone.now() - VERSION_CHECK_INTERVAL)


@task
def check_tokens() -> int:
    """Test every enabled, unexpired token not tested for a day (admins hear of one that
    starts failing, or works again), and warn of tokens about to expire."""
    due = (
        AccessToken.objects.filter(is_active=True)
        .exclude(expires_on__lt=server_today())
        .exclude(last_check_at__gte=timezone.now() - TOKEN_CHECK_INTERVAL)
        .select_related("instance")
    )
    checked = 0
    for token in due:
        test_connection(token, BACKGROUND)
        checked += 1
    warn_of_expiries()
    return checked
