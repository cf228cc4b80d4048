"""Input presets: named inputs per function, shared by the team."""

import json

import pytest

from codeengine_ui.catalog.models import InputPreset
from tests.html_forms import submitted_fields


@pytest.fixture
def preset(greet, member):
    return InputPreset.objects.create(
        function=greet,
        name="Ada, excited",
        input_variables={"name": "Ada", "excited": True},
        created_by=member,
    )


def test_inputs_of_the_form_are_saved_as_a_preset(member_client, member, greet):
    form = submitted_fields(member_client.get(f"/functions/{greet.pk}/run/").content.decode())
    form.update({"in.0": "Grace", "preset_name": "Grace", "save_preset": "1"})

    response = member_client.post(f"/functions/{greet.pk}/presets/", form)

    preset = InputPreset.objects.get()
    assert response["Location"] == f"/functions/{greet.pk}/run/?preset={preset.pk}"
    assert preset.input_variables == {"name": "Grace", "excited": False}
    assert preset.created_by == member


def test_invalid_inputs_are_not_saved_as_a_preset(member_client, greet):
    form = submitted_fields(member_client.get(f"/functions/{greet.pk}/run/").content.decode())
    form.update({"in.0": "", "preset_name": "Empty", "save_preset": "1"})

    response = member_client.post(f"/functions/{greet.pk}/presets/", form)

    assert response.status_code == 200
    assert "Required: expected text." in response.content.decode()
    assert not InputPreset.objects.exists()


def test_presets_are_listed_with_who_and_when_and_fill_the_form(member_client, greet, preset):
    page = member_client.get(f"/functions/{greet.pk}/run/").content.decode()
    filled = member_client.get(f"/functions/{greet.pk}/run/?preset={preset.pk}").content.decode()

    assert f'?preset={preset.pk}">Ada, excited</a>' in page and "member," in page
    assert "Filled with the preset “Ada, excited”." in filled
    assert ">\nAda</textarea>" in filled and 'value="true" checked' in filled


def test_a_preset_is_edited_with_its_inputs_checked(member_client, preset):
    bad = member_client.post(
        f"/presets/{preset.pk}/", {"name": "Renamed", "inputs_json": '{"name": 7}'}
    )
    good = member_client.post(
        f"/presets/{preset.pk}/",
        {
            "name": "Renamed",
            "inputs_json": json.dumps({"name": "Bob", "excited": None}),
        },
    )

    assert "name: expected text, got 7" in bad.content.decode()
    preset.refresh_from_db()
    assert good.status_code == 302
    assert (preset.name, preset.input_variables) == ("Renamed", {"name": "Bob", "excited": None})


def test_a_preset_is_deleted(member_client, greet, preset):
    response = member_client.post(f"/presets/{preset.pk}/delete/")

    assert response["Location"] == f"/functions/{greet.pk}/run/"
    assert not InputPreset.objects.exists()
