"""Background work of suites that must not hold a web request: telling a person by e-mail."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.tasks import task

from .models import Suite
from .reports import tell_person


@task()
def tell_monitor_owner(
    user_id: int, suite_name: str, suite_id: int | None, change: str, now_acts_as: str
) -> None:
    """Tell the person a monitor acted as that someone else changed it."""
    user = get_user_model().objects.filter(pk=user_id).first()
    suite = Suite.objects.filter(pk=suite_id).first() if suite_id else None
    if user is None:
        return
    if suite is None:
        told = f"{change}, which acted as you."
        lines = [told]
    else:
        told = f"{change} of your monitor “{suite_name}”."
        lines = [
            told,
            f"Its automatic runs acted as you; now they act as {now_acts_as}, with that "
            "person's role and tokens.",
            f"{settings.CONSOLE_BASE_URL}/suites/{suite.pk}/",
        ]
    tell_person(user, suite, f"[Code Engine Console] {told}", "\n".join(lines))
