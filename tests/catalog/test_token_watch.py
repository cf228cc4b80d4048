"""Tokens watched before they break: tested daily, admins told once per state change and
once per expiry date, and what a failing token would break listed."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from codeengine_ui.catalog.models import AccessToken
from codeengine_ui.catalog.tasks import check_tokens
from codeengine_ui.catalog.tokens import BACKGROUND, warn_of_expiries
from codeengine_ui.catalog.tokens import test_connection as check
from codeengine_ui.suites.models import Case, Suite
from tests.conftest import make_token, save_demo_function

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_with_email(admin_user):
    admin_user.email = "ops@example.com"
    admin_user.save()
    return admin_user


def test_admins_hear_when_a_token_starts_failing_and_when_it_works_again(
    instance, developer_token, admin_with_email
):
    broken = make_token(instance, "Broken", "not-a-token-the-emulator-knows-000")

    check(broken, BACKGROUND)
    check(broken, BACKGROUND)
    assert [m.subject for m in mail.outbox] == [
        "[Code Engine Console] Access token “Broken” failed its check"
    ]
    assert mail.outbox[0].to == ["ops@example.com"]

    check(developer_token, BACKGROUND)
    assert len(mail.outbox) == 1, "a token that never failed: no news"
    AccessToken.objects.filter(pk=broken.pk).update(encrypted_value=developer_token.encrypted_value)
    check(AccessToken.objects.get(pk=broken.pk), BACKGROUND)
    assert mail.outbox[-1].subject == "[Code Engine Console] Access token “Broken” works again"


def test_the_daily_check_tests_tokens_not_tested_for_a_day(instance, developer_token):
    fresh = make_token(instance, "Fresh", "another-token-value-000000000000")
    AccessToken.objects.filter(pk=fresh.pk).update(last_check_at=timezone.now())

    assert check_tokens.call() == 1
    developer_token.refresh_from_db()
    assert developer_token.last_check_ok is True


def test_an_expiry_is_announced_once_per_date(instance, developer_token, admin_with_email):
    AccessToken.objects.filter(pk=developer_token.pk).update(
        expires_on=timezone.localdate() + timedelta(days=3)
    )

    assert warn_of_expiries() == 1
    assert warn_of_expiries() == 0
    assert "expires on" in mail.outbox[0].subject
    AccessToken.objects.filter(pk=developer_token.pk).update(
        expires_on=timezone.localdate() + timedelta(days=5)
    )
    assert warn_of_expiries() == 1, "a new expiry date is news again"


def test_what_a_failing_token_breaks_is_listed_for_admins(admin_client, instance, developer_token):
    greet = save_demo_function(instance, developer_token, "greet")
    greet.default_token = developer_token
    greet.save()
    case = Case.objects.create(function=greet, name="greets", input_variables={"name": "A"})
    monitor = Suite.objects.create(name="Nightly", schedule="daily")
    monitor.cases.add(case)
    AccessToken.objects.filter(pk=developer_token.pk).update(
        last_check_ok=False, last_check_at=timezone.now()
    )

    page = admin_client.get(f"/tokens/{developer_token.pk}/impact/").content.decode()
    home = admin_client.get("/").content.decode()

    assert "Greet someone" in page and "its default token" in page
    assert "Nightly" in page and "monitor" in page
    assert "Breaks 1 function, 1 monitor" in home
    assert "What it breaks" in admin_client.get("/tokens/").content.decode()
