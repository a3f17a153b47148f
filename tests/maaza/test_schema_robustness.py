"""Schemas a hostile or careless user gives ``maaza extract`` and ``edgejson-eval``: a ``$ref`` cycle, 5,000 levels of
nesting, a file that is not UTF-8 are refused before any model loads, naming the fault; a backtracking ``pattern`` is
matched in bounded time."""

import json
import time

import pytest
from maaza_tiny import run_command, run_eval, write_jsonl
from tiny_models import save_taught_model

from edgejson import build_messages, format_answer
from maaza.cli import main

CYCLES = {  # schema, the cycle the refusal names
    "two $defs": (
        {
            "$defs": {"x": {"$ref": "#/$defs/y"}, "y": {"$ref": "#/$defs/x"}},
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/x"}},
        },
        "#/$defs/x -> #/$defs/y -> #/$defs/x",
    ),
    "the root": ({"$ref": "#", "type": "object", "properties": {"a": {"type": "string"}}}, "# -> #"),
    "through allOf": (
        {"type": "object", "properties": {"a": {"allOf": [{"$ref": "#/properties/a"}]}}},
        "#/properties/a -> #/properties/a/allOf/0 -> #/properties/a",
    ),
}
DEEP = '{"type": "object", "properties": {"a": ' + '{"items": ' * 5000 + "{}" + "}" * 5000 + "}}"
LATIN1 = b'{"type": "object", "title": "Caf\xe9 orders"}'


def _extract(capsys, *argv) -> tuple[int, str, str]:
    return run_command(capsys, main, "extract", *argv)


@pytest.mark.parametrize("case", list(CYCLES))
def test_maaza_extract_refuses_a_ref_cycle_naming_it_before_any_model_loads(capsys, tmp_path, case):
    schema, cycle = CYCLES[case]
    (tmp_path / "cycle.json").write_text(json.dumps(schema))
    args = ("--schema", tmp_path / "cycle.json", "--text", "a is 5", "--model", tmp_path / "no-model")
    code, out, err = _extract(capsys, *args)
    assert code == 2 and out == ""
    assert f"cycle.json: $ref cycle {cycle}: it comes back without descending into a property or an item" in err


def test_a_recursive_schema_through_properties_is_not_a_cycle(capsys, tiny_model, tmp_path):
    node = {"type": "object", "properties": {"name": {"type": "string"}, "parent": {"$ref": "#"}}}
    (tmp_path / "node.json").write_text(json.dumps(node))
    args = ("--schema", tmp_path / "node.json", "--text", "Ada", "--model", tiny_model, "--max-new-tokens", "4")
    code, _, err = _extract(capsys, *args)
    assert code == 1 and "the model gave no JSON object" in err  # accepted: the model ran


def test_maaza_extract_refuses_a_schema_5000_levels_deep(capsys, tmp_path):
    (tmp_path / "deep.json").write_text(DEEP)
    code, out, err = _extract(capsys, "--schema", tmp_path / "deep.json", "--text", "Hi", "--model", tmp_path / "none")
    assert code == 2 and out == ""
    assert f"{tmp_path / 'deep.json'}: the schema nests deeper than 64 levels of JSON" in err


def test_maaza_extract_names_a_schema_file_that_is_not_utf8(capsys, tmp_path):
    (tmp_path / "latin1.json").write_bytes(LATIN1)
    args = ("--schema", tmp_path / "latin1.json", "--text", "Hi", "--model", tmp_path / "none")
    code, out, err = _extract(capsys, *args)
    assert code == 2 and out == ""
    assert f"{tmp_path / 'latin1.json'}: not valid UTF-8 (byte 32): convert it to UTF-8 first" in err


def _row(schema: str) -> dict:
    return {"text": "a is 5", "schema": schema, "expected_output": '{"a": "5"}'}


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (json.dumps(CYCLES["two $defs"][0]), "$ref cycle #/$defs/x -> #/$defs/y -> #/$defs/x: "),
        (json.dumps(CYCLES["the root"][0]), "$ref cycle # -> #: "),
        (DEEP, "the schema nests deeper than 64 levels of JSON"),
    ],
    ids=["cycle", "root-cycle", "5000-levels"],
)
def test_edgejson_eval_refuses_the_schema_of_a_row_before_the_model_loads(capsys, tmp_path, schema, message):
    data = write_jsonl(tmp_path / "rows.jsonl", [_row(schema)])
    code, out, err = run_eval(capsys, "--model", tmp_path / "none", "--data", data, "--results-dir", tmp_path)
    assert code == 2 and out == ""
    assert "rows.jsonl" in err and message in err, err


def test_edgejson_eval_names_a_data_file_that_is_not_utf8(capsys, tmp_path):
    (tmp_path / "latin1.jsonl").write_bytes(json.dumps(_row('{"type": "object"}')).encode()[:-2] + b'\xe9"}\n')
    args = ("--model", tmp_path / "none", "--data", tmp_path / "latin1.jsonl", "--results-dir", tmp_path)
    code, out, err = run_eval(capsys, *args)
    assert code == 2 and out == ""
    assert f"--data {tmp_path / 'latin1.jsonl'} is not valid UTF-8" in err


def test_edgejson_eval_names_a_schema_file_that_is_not_utf8(capsys, tmp_path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "cafe.json").write_bytes(LATIN1)
    row = {"text": "Hi", "schema_id": "cafe", "expected_output": "{}"}
    data = write_jsonl(tmp_path / "rows.jsonl", [row])
    args = ("--model", tmp_path / "none", "--data", data, "--schemas", tmp_path / "schemas", "--results-dir", tmp_path)
    code, out, err = run_eval(capsys, *args)
    assert code == 2 and out == ""
    assert f"{tmp_path / 'schemas' / 'cafe.json'}: not valid UTF-8 (byte 32)" in err


BACKTRACKING = {  # pattern, a value it backtracks on
    "the issue's motto": (r"^(\w+\s?)+$", "Ada Lovelace works at the Analytic Engine!"),
    "backtracks in any engine": (r"^(a|aa)+$", "a" * 36 + "!"),
}


@pytest.mark.parametrize("case", list(BACKTRACKING))
def test_maaza_extract_matches_a_backtracking_pattern_in_bounded_time(capsys, tmp_path, case):
    pattern, value = BACKTRACKING[case]
    schema = {"type": "object", "properties": {"motto": {"type": "string", "pattern": pattern}}, "required": ["motto"]}
    text = f'Her motto is "{value}"'
    model = save_taught_model(tmp_path / "model", build_messages(schema, text), format_answer({"motto": value}))
    (tmp_path / "motto.json").write_text(json.dumps(schema))
    started = time.perf_counter()
    args = ("--schema", tmp_path / "motto.json", "--text", text, "--model", model, "--value-check", "--key-check")
    code, out, err = _extract(capsys, *args)
    assert time.perf_counter() - started < 20  # minutes to hours before: each validation matched it with `re`
    assert code == 1 and json.loads(out) == {"motto": value}
    assert "not valid against the schema" in err and f"/motto: {value!r}" in err
    if "any engine" in case:
        assert f"could not be matched against {pattern!r} within 0.1 s" in err
