"""A table's cell is read as the form reads the same text in the input's field: the same
value sent, or a refusal where the form refuses (a property test over types and texts)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeengine_ui.demo.package import variable
from codeengine_ui.parameters.cells import cell_problem, value_from_text
from codeengine_ui.parameters.definitions import normalise_parameters
from codeengine_ui.parameters.types import Invalid
from tests.parameters.editor_helpers import posted_editor

pytestmark = pytest.mark.django_db

TYPES = ["text", "number", "decimal", "duration", "person", "group", "dataset"]
pieces = st.sampled_from(["0", "1", "42", "-7", "0.1", "1,5", "1e3", "12345678901234567890",
                          "0.30000000000000000001", "9007199254740993", "PT1H30M", "P1D",
                          "481303514", "9b1c4e2a-0000-4000-8000-000000000001", " ", "x", "é",
                          ".", "-", "a b"])  # fmt: skip
texts = st.lists(pieces, min_size=1, max_size=3).map("".join)


def _cell(parameter: dict, text: str):
    try:
        value = value_from_text(parameter, text)
    except Invalid:
        return False, None
    return cell_problem(parameter, value) is None, value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(TYPES), text=texts)
def test_a_cell_is_read_as_the_form_reads_its_field(kind, text):
    definition = [variable("value", kind)]
    [parameter] = normalise_parameters(definition)
    editor = posted_editor(definition, typed={"value": text})

    fits, value = _cell(parameter, text)

    assert fits == editor.is_valid(), (kind, text, editor.all_nodes()[0].errors)
    if fits:
        assert value == editor.input_variables()["value"]
        assert type(value) is type(editor.input_variables()["value"])
