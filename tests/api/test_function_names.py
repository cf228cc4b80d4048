"""A function named by a name several saved functions share: the console refuses to guess
for the API, and names the one a client that must choose should take (starred, else the
newest version of that one function)."""

import pytest

from codeengine_ui.demo.package import PRIVATE_PACKAGE_ID
from codeengine_ui.runs.models import Execution
from tests.conftest import save_demo_function

pytestmark = pytest.mark.django_db


@pytest.fixture
def greets(instance, developer_token):
    """greet saved at three versions of the demo package, newest saved first."""
    return {
        version: save_demo_function(instance, developer_token, "greet", version=version)
        for version in ("1.2.0", "1.0.0", "1.1.0")
    }


def _ambiguity(api, name="greet") -> dict:
    response = api.get(f"/functions/{name}")
    assert response.status_code == 409, response.content
    problem = response.json()
    assert problem["code"] == "function_ambiguous"
    return problem


def test_the_starred_version_is_the_one_to_take(api, member, greets):
    greets["1.0.0"].starred_by.add(member)

    problem = _ambiguity(api)

    assert (problem["choice"]["id"], problem["choice"]["reason"]) == (
        greets["1.0.0"].pk,
        "starred",
    )
    assert problem["count"] == 3
    assert "the starred one is greet 1.0.0 on emulator" in problem["detail"]
    assert "add @version" in problem["detail"]


def test_without_a_star_the_newest_version_is_the_one_to_take(api, greets):
    problem = _ambiguity(api)

    assert (problem["choice"]["version"], problem["choice"]["reason"]) == ("1.2.0", "newest")
    assert "none is starred; the newest version is greet 1.2.0" in problem["detail"]
    assert {candidate["version"] for candidate in problem["candidates"]} == {
        "1.0.0",
        "1.1.0",
        "1.2.0",
    }


def test_of_several_starred_versions_the_newest_is_the_one_to_take(api, member, greets):
    greets["1.0.0"].starred_by.add(member)
    greets["1.1.0"].starred_by.add(member)

    problem = _ambiguity(api)

    assert (problem["choice"]["version"], problem["choice"]["reason"]) == (
        "1.1.0",
        "newest_starred",
    )


def test_another_persons_star_does_not_count(api, admin_user, greets):
    greets["1.0.0"].starred_by.add(admin_user)

    assert _ambiguity(api)["choice"]["version"] == "1.2.0"


def test_versions_of_different_functions_are_not_compared(api, instance, developer_token, greets):
    save_demo_function(
        instance, developer_token, "greet", version="2.0.0", package_id=PRIVATE_PACKAGE_ID
    )

    problem = _ambiguity(api)

    assert "choice" not in problem
    assert "they are different functions" in problem["detail"]
    assert (
        "Name one by its id, add @version, or write instance/package/function"
        in (problem["detail"])
    )
    assert len(problem["candidates"]) == 4


def test_a_star_settles_it_across_different_functions(
    api, member, instance, developer_token, greets
):
    private = save_demo_function(
        instance, developer_token, "greet", version="2.0.0", package_id=PRIVATE_PACKAGE_ID
    )
    private.starred_by.add(member)

    assert _ambiguity(api)["choice"]["id"] == private.pk


def test_a_run_named_ambiguously_is_refused_and_nothing_runs(api, greets):
    response = api.post("/runs", {"function": "greet", "inputs": {"name": "Ada"}})

    assert response.status_code == 409
    assert response.json()["choice"]["version"] == "1.2.0"
    assert not Execution.objects.exists()


def test_a_version_or_an_id_names_one(api, greets):
    assert api.get("/functions/greet@1.0.0").json()["id"] == greets["1.0.0"].pk
    assert api.get(f"/functions/{greets['1.1.0'].pk}").json()["version"] == "1.1.0"


def test_a_function_says_whether_its_version_is_released_and_its_entity_subtype(api, greet):
    greet.version_released, greet.entity_sub_type = False, "amazon-bedrock"
    greet.save()

    described = api.get(f"/functions/{greet.pk}").json()

    assert described["version_released"] is False
    assert described["entity_sub_type"] == "amazon-bedrock"
    assert api.get("/functions").json()[0]["version_released"] is False
