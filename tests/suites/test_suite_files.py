"""Suites as files: the plan a push makes, applying it as the person pushing, and the round
trip (the console's suites pulled to files and pushed back change nothing)."""

import json
import shutil
import tempfile
from pathlib import Path

import jsonschema
import pytest
from codeengine_cli.files_commands import Place, read_directory, suite_documents
from codeengine_cli.suite_files import parse, schema
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeengine_ui.access.audit import acting_as
from codeengine_ui.access.models import AuditAction, AuditEvent
from codeengine_ui.catalog.models import Function, InputPreset
from codeengine_ui.parameters.definitions import normalise_parameters
from codeengine_ui.suites.files import (
    FilesRefused,
    PlanChanged,
    apply_files,
    exported,
    make_plan,
    read_files,
)
from codeengine_ui.suites.models import Case, Suite

pytestmark = pytest.mark.django_db

SCHEMA = schema()
PARAMETERS = [
    {"name": "payload", "type": "object"},
    {"name": "note", "type": "text"},
    {"name": "count", "type": "number", "nullable": True},
    {"name": "amount", "type": "decimal"},
]


@pytest.fixture
def echo(instance, developer_token):
    return Function.objects.create(
        instance=instance, default_token=developer_token, package_id="pkg-1", version="2.0.0",
        function_name="echo", display_name="Echo", parameters=normalise_parameters(PARAMETERS),
    )  # fmt: skip


def reference(function: Function) -> dict:
    return {"instance": function.instance.name, "package": function.package_id,
            "function": function.function_name, "version": function.version}  # fmt: skip


def files_for(function, *, suite="Echoes", cases=None, path="tests/echoes.yaml", presets=None):
    entry = {"path": path, "functions": {"echo": reference(function)},
             "suite": {"name": suite, "description": ""}, "cases": cases or []}  # fmt: skip
    if presets is not None:
        entry["presets"] = presets
    return {"directory": "tests", "files": [entry]}


def a_case(name="says hi", note="hi", **more):
    inputs = {"payload": {"a": 1}, "note": note, "count": 3, "amount": 0.1}
    return {"name": name, "function": "echo", "inputs": inputs,
            "expectations": [{"kind": "outcome", "status": "SUCCESS"}], **more}  # fmt: skip


def test_a_new_suite_is_planned_then_created_as_the_person_pushing(echo, member):
    given = read_files(files_for(echo, cases=[a_case()], presets=[
        {"name": "Ada", "function": "echo", "inputs": a_case()["inputs"]}]))  # fmt: skip

    plan = make_plan(given)

    assert [(c.action, c.kind) for c in plan.changes] == [
        ("create", "case"), ("create", "suite"), ("create", "preset")]  # fmt: skip
    assert Suite.objects.count() == 0  # a plan changes nothing
    with acting_as(member):
        apply_files(given, member, commit="a1b2c3d4e5")
    suite = Suite.objects.get(name="Echoes")
    assert (suite.source_path, suite.source_commit, suite.source_pushed_by) == (
        "tests/echoes.yaml", "a1b2c3d4e5", member)  # fmt: skip
    assert [case.name for case in suite.cases.all()] == ["says hi"]
    assert InputPreset.objects.get(function=echo).name == "Ada"
    actions = set(AuditEvent.objects.filter(actor=member).values_list("action", flat=True))
    assert {AuditAction.CASE_CREATED, AuditAction.SUITE_CREATED} <= actions
    again = files_for(echo, cases=[a_case()], presets=[
        {"name": "Ada", "function": "echo", "inputs": a_case()["inputs"]}])  # fmt: skip
    assert make_plan(read_files(again)).changes == []


def test_changes_removals_and_gone_files_are_planned_in_words(echo, member):
    both = files_for(echo, cases=[a_case(), a_case("bye")])
    both["files"] += files_for(echo, suite="Old", path="tests/old.yaml", cases=[a_case("old")])[
        "files"
    ]
    with acting_as(member):
        apply_files(read_files(both), member)

    plan = make_plan(read_files(files_for(echo, cases=[a_case(note="hello")])))

    described = [(c.action, c.kind, c.name, c.details) for c in plan.changes]
    assert ("update", "case", "“says hi” of echo 2.0.0", ["inputs"]) in described
    assert ("update", "suite", "“Echoes”", ["removes 1 case"]) in described
    assert ("delete", "suite", "“Old”", ["tests/old.yaml is gone"]) in described
    assert ("delete", "case", "“bye” of echo 2.0.0", ["in no suite any more"]) in described
    assert ("delete", "case", "“old” of echo 2.0.0", ["in no suite any more"]) in described
    with acting_as(member):
        apply_files(read_files(files_for(echo, cases=[a_case(note="hello")])), member)
    assert list(Case.objects.values_list("name", flat=True)) == ["says hi"]
    assert Case.objects.get().input_variables["note"] == "hello"
    assert list(Suite.objects.values_list("name", flat=True)) == ["Echoes"]


def test_a_push_from_another_repository_deletes_none_of_this_ones_suites(echo, member):
    ours = {**files_for(echo, cases=[a_case()]), "repository": "https://git.example.com/a.git"}
    theirs = files_for(echo, suite="Theirs", path="tests/theirs.yaml", cases=[a_case("x")])
    theirs["repository"] = "https://git.example.com/b.git"
    with acting_as(member):
        apply_files(read_files(ours), member)
        plan = apply_files(read_files(theirs), member)

    assert [(c.action, c.kind) for c in plan.changes] == [("create", "case"), ("create", "suite")]
    assert Suite.objects.get(name="Echoes").source_repository == "https://git.example.com/a.git"


def test_a_suite_made_in_the_console_is_never_deleted_by_a_push(echo, member):
    Suite.objects.create(name="Made by hand")
    with acting_as(member):
        apply_files(read_files(files_for(echo, cases=[a_case()])), member)
    assert Suite.objects.filter(name="Made by hand").exists()


def test_files_naming_a_function_the_console_lacks_are_refused_at_the_key(echo):
    body = files_for(echo, cases=[a_case()])
    body["files"][0]["functions"]["echo"]["version"] = "9.9.9"

    with pytest.raises(FilesRefused) as refused:
        read_files(body)

    [error] = [e for e in refused.value.errors if e["at"] == "functions.echo"]
    assert error["file"] == "tests/echoes.yaml"
    assert "no saved function echo 9.9.9 of package pkg-1 on instance emulator" in error["message"]


def test_inputs_and_expectations_are_checked_as_the_case_page_checks_them(echo):
    bad = a_case(expectations=[{"kind": "snapshot"}, {"kind": "sometimes"}])
    bad["inputs"]["count"] = "three"

    with pytest.raises(FilesRefused) as refused:
        read_files(files_for(echo, cases=[bad]))

    places = {error["at"] for error in refused.value.errors}
    assert {"cases[0].inputs.count", "cases[0].expectations", "cases[0].snapshot"} <= places


def test_an_unchanged_case_pushes_back_after_its_function_changed(echo, member):
    with acting_as(member):
        apply_files(read_files(files_for(echo, cases=[a_case()])), member)
    echo.parameters = normalise_parameters([{"name": "other", "type": "text"}])
    echo.save()

    assert make_plan(read_files(files_for(echo, cases=[a_case()]))).changes == []
    with pytest.raises(FilesRefused) as refused:  # a changed one is checked
        read_files(files_for(echo, cases=[a_case(note="changed")]))
    assert "cases[0].inputs.payload" in {error["at"] for error in refused.value.errors}


def test_a_push_confirmed_on_an_older_plan_is_refused(echo, member):
    given = read_files(files_for(echo, cases=[a_case()]))
    shown = make_plan(given).fingerprint
    Case.objects.create(function=echo, name="says hi", input_variables={})  # someone else

    with pytest.raises(PlanChanged):
        apply_files(given, member, fingerprint=shown)


def test_a_viewer_may_not_push(echo, viewer):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        apply_files(read_files(files_for(echo, cases=[a_case()])), viewer)
    assert not Suite.objects.exists()


# --- The round trip ------------------------------------------------------------------------------

# Text the console keeps (its type rules and PostgreSQL refuse the null character).
texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)
names = st.text(
    st.characters(categories=["L", "N", "P", "S"]) | st.just(" "), min_size=1, max_size=20
).filter(lambda name: name.strip() == name)
values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False) | texts
    | st.sampled_from(["0.1", "1e5", "no", "1:30", "line\nbreak\n", "crlf\r\n", "Zoë 😀"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=12,
)  # fmt: skip
inputs = st.fixed_dictionaries({
    "payload": st.dictionaries(texts, values, max_size=4),
    "note": texts | st.sampled_from(["two\nlines", "a\r\nb", "  indented\n"]),
    "count": st.none() | st.integers(-(10**25), 10**25),
    "amount": st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**20), 10**20),
})  # fmt: skip
expectation = st.one_of(
    st.builds(lambda s: {"kind": "outcome", "status": s}, st.sampled_from(["SUCCESS", "FAILED"])),
    st.builds(lambda v: {"kind": "contains", "value": v}, values),
    st.builds(lambda v: {"kind": "path", "path": "$.total", "equals": v}, values),
    st.just({"kind": "path", "path": "$.name", "matches": "^A.*$"}),
    st.just({"kind": "path", "path": "$.items", "length": 2}),
    st.just({"kind": "path", "path": "$.total", "between": [0.5, 10]}),
    st.just({"kind": "fits_output"}),
    st.builds(lambda ms: {"kind": "duration", "under_ms": ms}, st.integers(1, 10**6)),
    st.builds(lambda t: {"kind": "stdout", "contains": t}, texts),
    st.builds(lambda t: {"kind": "stderr", "not_contains": t}, texts),
)
cases = st.fixed_dictionaries({
    "name": names,
    "inputs": inputs,
    "expectations": st.lists(expectation, max_size=3),
    "snapshot": st.none() | values,
    "ignore_paths": st.lists(st.sampled_from(["createdAt", "items[*].id", "a.b"]), unique=True),
})  # fmt: skip
suites = st.lists(
    st.tuples(names, texts, st.lists(cases, max_size=4, unique_by=lambda c: c["name"])),
    min_size=1, max_size=3, unique_by=lambda s: s[0].lower(),
)  # fmt: skip
presets = st.lists(st.tuples(names, inputs), max_size=3, unique_by=lambda p: p[0])


def store(function, generated_suites, generated_presets) -> None:
    made: dict[str, Case] = {}
    for name, description, suite_cases in generated_suites:
        suite = Suite.objects.create(name=name, description=description)
        for spec in suite_cases:
            if spec["name"] not in made:
                expectations = list(spec["expectations"])
                if spec["snapshot"] is not None:
                    expectations.append({"kind": "snapshot"})
                made[spec["name"]] = Case.objects.create(
                    function=function, name=spec["name"], input_variables=spec["inputs"],
                    expectations=expectations, snapshot=spec["snapshot"],
                    ignore_paths=spec["ignore_paths"],
                )  # fmt: skip
            suite.cases.add(made[spec["name"]])
    for name, preset_inputs in generated_presets:
        InputPreset.objects.create(function=function, name=name, input_variables=preset_inputs)


def pulled_and_read(directory: Path):
    """What `ce pull` writes (through the API's JSON), read back as `ce push` sends it."""
    over_the_wire = json.loads(json.dumps(exported(Suite.objects.all()), ensure_ascii=False))
    for relative, text in suite_documents(over_the_wire).items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(text, "utf-8")
        if relative.endswith(".yaml"):  # what editors check
            jsonschema.validate(parse(text).value, SCHEMA)
    entries, _ = read_directory(directory, Place(directory))
    return read_files(json.loads(json.dumps({"directory": "", "files": entries})))


def state():
    return (
        [(c.name, c.input_variables, c.expectations, c.snapshot, c.ignore_paths)
         for c in Case.objects.order_by("name")],
        [(s.name, s.description, sorted(s.cases.values_list("name", flat=True)))
         for s in Suite.objects.order_by("name")],
        [(p.name, p.input_variables) for p in InputPreset.objects.order_by("name")],
    )  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(generated_suites=suites, generated_presets=presets)
def test_pulling_to_files_and_pushing_back_changes_nothing(
    echo, member, generated_suites, generated_presets
):
    with transaction.atomic():
        store(echo, generated_suites, generated_presets)
        before = state()
        directory = Path(tempfile.mkdtemp())
        try:
            given_files = pulled_and_read(directory)
            assert make_plan(given_files).changes == []
            with acting_as(member):
                apply_files(given_files, member)
            assert make_plan(pulled_and_read(directory)).changes == []
        finally:
            shutil.rmtree(directory)
        assert repr(state()) == repr(before)
        transaction.set_rollback(True)
