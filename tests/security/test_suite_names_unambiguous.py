"""A CI job names the suite that gates a release: it must run that suite, never another
whose name differs only in letter case (which a member could create to run their inputs
with the job's key)."""

import pytest

from codeengine_ui.access.models import ApiKey
from codeengine_ui.suites.models import Case, Suite, SuiteRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_checklists(greet):
    real = Suite.objects.create(name="Release checklist")
    real.cases.add(Case.objects.create(function=greet, name="real", input_variables={}))
    impostor = Suite.objects.create(name="RELEASE CHECKLIST")  # as the admin could still
    impostor.cases.add(Case.objects.create(function=greet, name="fake", input_variables={}))
    return real, impostor


def _run(client, admin_user, name: str):
    _key, text = ApiKey.issue(admin_user, "ci", "run")
    return client.post(
        f"/api/v1/suites/{name}/runs", content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {text}",
    )  # fmt: skip


def test_the_exact_name_runs_that_suite(client, admin_user, two_checklists):
    real, _impostor = two_checklists

    response = _run(client, admin_user, "Release checklist")

    assert response.status_code == 201
    assert SuiteRun.objects.get().suite == real


def test_a_name_several_suites_share_but_for_case_is_refused(client, admin_user, two_checklists):
    response = _run(client, admin_user, "release checklist")

    assert response.status_code == 409
    assert response.json()["code"] == "suite_ambiguous"
    assert not SuiteRun.objects.exists()


def test_a_suite_named_as_another_but_for_case_is_refused_at_its_field(member_client, greet):
    Suite.objects.create(name="Release checklist")
    case = Case.objects.create(function=greet, name="fake", input_variables={})

    response = member_client.post(
        "/suites/", {"name": "RELEASE CHECKLIST", "description": "", "cases": [str(case.pk)]}
    )

    assert "differs by more than letter case" in response.content.decode()
    assert Suite.objects.count() == 1


def test_a_suite_emptied_of_its_cases_does_not_pass_a_gate(client, admin_user, greet):
    Suite.objects.create(name="Release checklist")

    response = _run(client, admin_user, "Release checklist")

    assert response.status_code == 201
    assert response.json()["finished"] is True and response.json()["passed"] is False


def test_the_junit_xml_stays_readable_whatever_a_message_holds(
    member_client, greet, developer_token, member
):
    from xml.etree import ElementTree

    from codeengine_ui.suites.models import CaseResult

    suite_run = SuiteRun.objects.create(suite=Suite.objects.create(name="ctl"))
    CaseResult.objects.create(
        suite_run=suite_run, case_name="c\x1b\x07", function_name="greet", verdict="fail",
        unmet=[{"message": "stdout does not contain “\x08zz”."}],
    )  # fmt: skip

    xml = member_client.get(f"/suite-runs/{suite_run.pk}/junit.xml").content

    [case] = ElementTree.fromstring(xml).iter("testcase")  # noqa: S314 (the console's own)
    assert case.get("name") == "c\ufffd\ufffd"
