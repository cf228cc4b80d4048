"""What a user's data can make large or malformed stays bounded and reported: a huge result
saved as a test, a large snapshot drawn, a suite name that would break its e-mail."""

import pytest
from django.core import mail

from codeengine_ui.access.audit import acting_as
from codeengine_ui.access.models import AuditAction, AuditEvent
from codeengine_ui.suites.judging import judge_finished_cases
from codeengine_ui.suites.models import Case, MonitorState, Suite
from codeengine_ui.suites.monitors import run_due_monitors
from tests.conftest import stored_run

pytestmark = pytest.mark.django_db


def _rows(count: int) -> list[dict]:
    return [
        {"row": index, "label": f"Row number {index}", "even": index % 2 == 0}
        for index in range(count)
    ]


def test_save_as_test_on_a_huge_result_keeps_no_snapshot_and_says_why(
    member_client, greet, developer_token, member
):
    ran = stored_run(greet, developer_token, member, status="SUCCESS", result=_rows(200_000))

    response = member_client.post(f"/executions/{ran.pk}/save-as-test/", follow=True)

    case = Case.objects.get()
    assert case.snapshot is None
    assert case.expectations == [{"kind": "outcome", "status": "SUCCESS"}]
    page = response.content.decode()
    assert "and a snapshot keeps up to 2.0 MB (CASE_SNAPSHOT_MAX_BYTES)" in page
    assert len(page) < 200_000


def test_a_large_snapshot_is_not_drawn_but_offered_as_a_download(member_client, greet):
    snapshot = _rows(20_000)  # about 1.4 MB indented
    case = Case.objects.create(
        function=greet,
        name="big",
        input_variables={},
        expectations=[{"kind": "snapshot"}],
        snapshot=snapshot,
    )

    page = member_client.get(f"/tests/{case.pk}/").content.decode()
    download = member_client.get(f"/tests/{case.pk}/snapshot.json")

    assert len(page) < 100_000
    assert "too large to draw here" in page and f"/tests/{case.pk}/snapshot.json" in page
    assert download["Content-Disposition"].startswith("attachment")
    assert b'"label": "Row number 19999"' in download.content


def test_a_middle_sized_snapshot_is_drawn_folded(member_client, greet):
    case = Case.objects.create(
        function=greet,
        name="middle",
        input_variables={},
        expectations=[{"kind": "snapshot"}],
        snapshot=_rows(500),
    )

    page = member_client.get(f"/tests/{case.pk}/").content.decode()

    assert '<details class="snapshot"><summary>Show the snapshot (' in page


def test_a_suite_name_with_a_line_break_is_refused_at_its_field(member_client, greet):
    case = Case.objects.create(function=greet, name="greets", input_variables={})
    response = member_client.post(
        "/suites/", {"name": "Nightly\nBcc: x@evil", "cases": [str(case.pk)]}
    )

    assert "A name is one line of text" in response.content.decode()
    assert not Suite.objects.exists()


def _failing_monitor_runs(greet, member, name: str) -> Suite:
    """A monitor named `name` whose one case fails, at its slot, judged."""
    with acting_as(member):
        case = Case.objects.create(
            function=greet,
            name="fails",
            input_variables={"name": "A"},
            expectations=[{"kind": "path", "path": "$", "equals": "no"}],
        )
        suite = Suite.objects.create(
            name=name, schedule="minutes", notify_emails="team@example.com"
        )
        suite.cases.add(case)
    Suite.objects.filter(pk=suite.pk).update(next_run_at="2020-01-01T00:00:00Z")
    run_due_monitors()
    judge_finished_cases()
    return suite


def test_a_line_break_stored_in_a_name_still_lets_the_monitor_email_go(greet, member):
    _failing_monitor_runs(greet, member, "Nightly\r\nBcc: someone@evil.example")

    [sent] = mail.outbox
    assert sent.subject == (
        "[Code Engine Console] Monitor “Nightly Bcc: someone@evil.example” is failing"
    )
    assert sent.to == ["team@example.com"] and not sent.bcc
    assert Suite.objects.get().monitor_state == MonitorState.FAILING


def test_a_notification_that_cannot_be_sent_is_recorded_and_shown(
    greet, member, member_client, settings
):
    settings.MAILERS = {"default": {"BACKEND": "tests.security.broken_mail.RefusingBackend"}}

    suite = _failing_monitor_runs(greet, member, "Nightly")

    [event] = AuditEvent.objects.filter(action=AuditAction.NOTIFICATION_FAILED)
    assert event.target == "suite Nightly"
    assert event.details["why"] == "The e-mail could not be sent (SMTPServerDisconnected)."
    page = member_client.get(f"/suites/{suite.pk}/").content.decode()
    assert "The last notification could not be sent" in page


def test_a_preset_name_with_a_line_break_is_refused_in_the_api_and_on_the_page(
    client, member, member_client, greet
):
    from codeengine_ui.access.models import ApiKey
    from codeengine_ui.catalog.models import InputPreset

    _key, text = ApiKey.issue(member, "script", "run")
    answer = client.post(
        f"/api/v1/functions/{greet.pk}/presets",
        {"name": "ro-key\nInjected line\u0007", "inputs": {"name": "Ada"}},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {text}",
    )
    preset = InputPreset.objects.create(function=greet, name="Ada", input_variables={})
    page = member_client.post(
        f"/presets/{preset.pk}/", {"name": "Ada\r\nBob", "inputs_json": '{"name": "A"}'}
    )

    assert answer.status_code == 422 and "one line of text" in answer.json()["detail"]
    assert "A name is one line of text" in page.content.decode()
    assert list(InputPreset.objects.values_list("name", flat=True)) == ["Ada"]
