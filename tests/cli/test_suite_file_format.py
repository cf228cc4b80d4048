"""The suite files' YAML: what is written reads back exactly, by this reader and by a YAML
1.1 reader; what people write reads as YAML 1.2 (as editors read it)."""

import math

import jsonschema
import pytest
import yaml
from codeengine_cli.files_commands import Place, read_directory, suite_documents
from codeengine_cli.suite_files import FORMAT, FileProblem, dump, parse, schema
from hypothesis import given, settings
from hypothesis import strategies as st


def same(left, right) -> bool:
    """Equal as JSON values: 1, 1.0 and true differ."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    return left == right


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.sampled_from(
        ["no", "yes", "on", "off", "1:30", "0777", "0o17", "0x1F", "1e5", "1_000", "~", "null",
         "True", "2026-12-05", "12:30:45", ".inf", "-.5", "+1", "", " lead", "trail ", "a: b",
         "- x", "# not a comment", "'quoted'", "line\nbreak\n", "crlf\r\nline", "nel\x85x",
         "ls\u2028x", "tab\tx", "\ufeffbom", "0.1", "12345678901234567890.5", "Zoë 😀",
         "  indented\nfirst line", "trailing \nspace", "\n\nleading breaks", "ends\n\n\n"]
    )
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_what_is_written_reads_back_exactly(value):
    text = dump({"format": FORMAT, "value": value})
    assert same(parse(text).value["value"], value)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_a_yaml_1_1_reader_reads_the_same_values(value):
    """PyYAML's own reader (YAML 1.1: `no` is false, `1:30` is 90) reads them alike too."""
    text = dump({"value": value})
    read = yaml.safe_load(text)["value"]
    assert same(read, value)


@pytest.mark.parametrize("text", ["no", "yes", "on", "off", "1:30", "0777", "1e5", "0o17",
                                  "0x1F", "2026-12-05", "null", "~", "true", "1_000"])  # fmt: skip
def test_ambiguous_text_is_written_quoted(text):
    line = dump({"v": text}).strip()
    assert line in (f"v: '{text}'", f'v: "{text}"')


def test_text_of_several_lines_is_a_literal_block():
    text = dump({"description": "first line\n  second, indented\nthird\n"})
    assert text == "description: |\n  first line\n    second, indented\n  third\n"


def test_keys_keep_their_order():
    text = dump({"zeta": 1, "alpha": 2, "mid": {"b": 1, "a": 2}})
    assert text.splitlines() == ["zeta: 1", "alpha: 2", "mid:", "  b: 1", "  a: 2"]


def test_people_writing_yaml_1_1_words_get_text():
    value = parse("answer: no\ntime: 1:30\nday: 2026-12-05\nmode: 0777\nflag: on\n").value
    assert value == {"answer": "no", "time": "1:30", "day": "2026-12-05", "mode": 777, "flag": "on"}


def test_numbers_keep_their_digits():
    value = parse(
        "big: 123456789012345678901234567890\nsmall: 0.1\nexp: 1.0e+16\nneg: -0.0\n"
    ).value
    assert value["big"] == 123456789012345678901234567890
    assert value["small"] == 0.1 and value["exp"] == 1e16
    assert math.copysign(1, value["neg"]) == -1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: .inf\n", "not a JSON number"),
        ("a: &x [1]\nb: *x\n", "anchors and aliases"),
        ("1: x\n", "not text: quote it"),
        ("a: 1\na: 2\n", "written twice"),
        ("a: !!binary aGk=\n", "tags"),
        ("a: [1,\n", "not YAML"),
    ],
)
def test_what_is_not_plain_json_is_refused_with_its_line(text, message):
    with pytest.raises(FileProblem) as refused:
        parse(text, "tests/x.yaml")
    assert message in str(refused.value)
    assert str(refused.value).startswith("tests/x.yaml")


def test_lines_are_known_for_each_place():
    parsed = parse("format: x\ncases:\n- name: a\n  inputs:\n    name: Ada\n")
    assert parsed.line_of("cases[0].inputs.name") == 5
    assert parsed.line_of("cases[0].inputs.name.deeper[3]") == 5
    assert parsed.line_of("cases[0].function") == 3


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(schema())


def test_two_versions_of_a_function_in_one_suite_get_keys_and_snapshots_apart():
    def reference(version):
        return {"instance": "acme", "package": "p-1", "function": "greet", "version": version}

    def case(version):
        return {"name": "greets Ada", "function": reference(version), "inputs": {"name": "Ada"},
                "expectations": [{"kind": "snapshot"}], "ignore_paths": [],
                "snapshot": f"Hello from {version}"}  # fmt: skip

    exported = {
        "suites": [{"name": "Both versions", "description": "", "source": None,
                    "cases": [case("1.1.0"), case("1.2.0")]}],
        "functions": [reference("1.1.0"), reference("1.2.0")],
        "presets": [],
    }  # fmt: skip

    files = suite_documents(exported)

    document = parse(files["both-versions.yaml"]).value
    jsonschema.validate(document, schema())
    assert list(document["functions"]) == ["greet@1.1.0", "greet@1.2.0"]
    assert [c["snapshot"] for c in document["cases"]] == [
        "both-versions.snapshots/greet-1-1-0-greets-ada.json",
        "both-versions.snapshots/greet-1-2-0-greets-ada.json",
    ]
    assert files["both-versions.snapshots/greet-1-2-0-greets-ada.json"] == '"Hello from 1.2.0"\n'


def test_other_yaml_files_are_left_out_and_another_version_is_refused(tmp_path, capsys):
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: x\n")
    (tmp_path / "mine.yaml").write_text(f"format: {FORMAT}\npresets: []\n")

    entries, _ = read_directory(tmp_path, Place(tmp_path))

    assert [entry["path"] for entry in entries] == ["mine.yaml"]
    assert "compose.yaml is not a suite file" in capsys.readouterr().err
    (tmp_path / "next.yaml").write_text("format: codeengine-console/suites@2\n")
    with pytest.raises(FileProblem, match=r"next.yaml:1: format is 'codeengine-console/suites@2'"):
        read_directory(tmp_path, Place(tmp_path))
