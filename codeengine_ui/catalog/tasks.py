from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from .importing import check_newest_versions

VERSION_CHECK_INTERVAL = timedelta(hours=1)


@task
def check_function_versions() -> int:
    """Find saved functions that pin an older version than the newest released one."""
    return check_newest_versions(checked_before=timezone.now() - VERSION_CHECK_INTERVAL)
