"""Nothing a model emits crashes the metric; objects are read out of any raw output; bad inputs say where."""

import json
import time

import evaluate
import pytest

REFERENCE = '{"name": "Ada", "age": 36, "tags": ["a", "b"]}'
ANSWER = json.loads(REFERENCE)
SCORES = ("json_exact", "field_f1", "schema_compliance", "leaf_f1", "schema_valid")
SCHEMA = json.dumps(
    {
        "type": "object",
        "properties": {"name": {"type": "string", "format": "email"}, "when": {"type": "string", "format": "date"}},
    }
)

DANGLING = json.dumps({"type": "object", "properties": {"name": {"$ref": "#/$defs/person"}}})
CYCLE = json.dumps(
    {
        "$defs": {"x": {"$ref": "#/$defs/y"}, "y": {"$ref": "#/$defs/x"}},
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/x"}},
    }
)
ROOT_CYCLE = json.dumps({"$ref": "#", "type": "object", "properties": {"a": {"type": "string"}}})
DEEP_SCHEMA = '{"type": "object", "properties": {"a": ' + '{"items": ' * 5000 + "{}" + "}" * 5000 + "}}"

BAD = {  # raw output -> the failure kind it must be scored 0 with
    "empty": ("", "no_json"),
    "whitespace": (" \n\t ", "no_json"),
    "prose": ("Sorry, I cannot extract that.", "no_json"),
    "prose with braces": ("Fill in {name} and {age}.", "no_json"),
    "truncated object": ('{"name": "Ada", "age": 3', "truncated_json"),
    "truncated in a string": ('{"name": "Ad', "truncated_json"),
    "truncated in a literal": ('{"name": "Ada", "ok": tru', "truncated_json"),
    "fence never closed, object cut": ('```json\n{"name": "Ada", "tags": ["a"', "truncated_json"),
    "a list": ('["Ada", 36]', "not_an_object"),
    "a list holding the object": ('[{"name": "Ada", "age": 36, "tags": ["a", "b"]}]', "not_an_object"),
    "a number": ("36", "not_an_object"),
    "a string": ('"Ada"', "not_an_object"),
    "null": ("null", "not_an_object"),
    "NaN": ('{"name": "Ada", "age": NaN}', "invalid_json"),
    "Infinity": ("Infinity", "invalid_json"),
    "single quotes": ("{'name': 'Ada', 'age': 36}", "invalid_json"),
    "trailing comma": ('{"name": "Ada", "age": 36,}', "invalid_json"),
    "mismatched bracket": ('{"name": "Ada"]', "invalid_json"),
    "control character in a string": ('{"name": "A\nda", "age": 36}', "invalid_json"),
    "duplicate keys": ('{"name": "Ada", "name": "Bob"}', "duplicate_key"),
    "nested duplicate keys": ('{"name": "Ada", "tags": [{"a": 1, "a": 1}]}', "duplicate_key"),
    "10,000 levels of objects": ('{"a":' * 10_000 + "1" + "}" * 10_000, "too_deep"),
    "10,000 levels of lists": ("[" * 10_000 + "]" * 10_000, "too_deep"),
    "10,000 levels never closed": ('{"a":' * 10_000, "truncated_json"),
    "40 levels": ('{"a":' * 40 + "1" + "}" * 40, "too_deep"),
    "10 MB of prose": ("x" * 10_000_000, "no_json"),
    "10 MB of open braces": ("{" * 10_000_000, "no_json"),
    "10 MB object cut": ('{"name": "' + "a" * 10_000_000, "truncated_json"),
    "NUL and control bytes": ("\x00\x01\x1b[0m\x7f", "no_json"),
    "a lone surrogate only": ("\ud800", "no_json"),
    "5,000-digit integer": ('{"name": ' + "1" * 5000 + "}", "number_out_of_range"),
    "401-digit integer": ('{"age": ' + "9" * 401 + "}", "number_out_of_range"),
    "1e999": ('{"name": "Ada", "age": 1e999}', "number_out_of_range"),
    "-1e999 in a list": ('{"tags": [-1e999]}', "number_out_of_range"),
    "a broken object, then escaped quotes": ('{"name": NaN ' + '\\"' * 20_000, "truncated_json"),
}


@pytest.fixture(scope="module")
def bad_results(metric):
    outputs = [output for output, _ in BAD.values()]
    return metric.compute(
        predictions=outputs, references=[REFERENCE] * len(BAD), schemas=[SCHEMA] * len(BAD), return_details=True
    )


@pytest.mark.parametrize("case", list(BAD))
def test_bad_output_scores_zero_with_its_failure_kind(bad_results, case):
    detail = bad_results["details"][list(BAD).index(case)]
    assert detail["failure"] == BAD[case][1]
    assert detail["parsed"] is None
    assert all(detail[score] == 0 for score in SCORES)


def test_bad_outputs_are_all_counted(bad_results):
    assert len(BAD) >= 20
    assert bad_results["parse_rate"] == 0 and sum(bad_results["failures"].values()) == len(BAD)


READABLE = {  # raw output the reference must be read from exactly
    "bare": REFERENCE,
    "after chatter": f"Here is the JSON you asked for:\n{REFERENCE}",
    "in a fence": f"```json\n{REFERENCE}\n```",
    "in a fence after chatter, then more text": f"Sure!\n```json\n{REFERENCE}\n```\nAnything else?",
    "fence never closed": f"```json\n{REFERENCE}",
    "followed by a second object": f'{REFERENCE}\n{{"name": "Bob"}}',
    "after a broken candidate": f'{{"name": NaN}} then {REFERENCE}',
    "after prose braces": f"Use {{name}}: {REFERENCE}",
    "control bytes around": f"\x00\x07{REFERENCE}\x1b",
    "pretty printed": json.dumps(ANSWER, indent=4),
}


@pytest.mark.parametrize("case", list(READABLE))
def test_the_object_is_read_out_of_the_raw_output(metric, case):
    results = metric.compute(predictions=[READABLE[case]], references=[REFERENCE], return_details=True)
    assert results["details"][0]["parsed"] == ANSWER and results["json_exact"] == 1


def test_a_run_of_escaped_quotes_after_a_broken_object_is_read_in_linear_time(metric):
    outputs = ['{"name": NaN ' + '\\"' * 100_000, '{"a": 1,} x {"b": NaN ' + '\\"' * 100_000]
    started = time.perf_counter()
    results = metric.compute(predictions=outputs, references=[REFERENCE] * 2, return_details=True)
    assert time.perf_counter() - started < 2  # quadratic before: minutes
    assert [d["failure"] for d in results["details"]] == ["truncated_json", "truncated_json"]


def test_huge_numbers_are_scored_against_multiple_of_without_overflow(metric):
    schema = json.dumps({"type": "object", "properties": {"age": {"type": "number", "multipleOf": 0.5}}})
    outputs = ['{"age": ' + "9" * 401 + "}", '{"age": ' + "1" * 300 + "}", '{"age": 36.5}']
    results = metric.compute(
        predictions=outputs, references=['{"age": 36.5}'] * 3, schemas=[schema] * 3, return_details=True
    )
    assert [d["failure"] for d in results["details"]] == ["number_out_of_range", "wrong_value", None]
    assert [d["schema_valid"] for d in results["details"]] == [0, 1, 1]


def test_objects_nest_to_any_reasonable_depth_and_strings_hold_anything(metric):
    deep = {"l1": {"l2": {"l3": {"l4": {"l5": [{"l7": {"l8": [[{"l11": "x"}]]}}]}}}}}
    tricky = {"text": 'a } b { c " d \\ e', "emoji": "🧩", "lone": "\ud800", "slash/key": {"~": [1, 2.5, None]}}
    predictions = [f"ok {json.dumps(deep)}", json.dumps(tricky), json.dumps(tricky, indent=1)]
    references = [json.dumps(deep), json.dumps(tricky), json.dumps(tricky)]
    results = metric.compute(predictions=predictions, references=references, return_details=True)
    assert results["json_exact"] == 1
    wrong = {**tricky, "slash/key": {"~": [1, 2.5, 0]}}
    detail = metric.compute(predictions=[json.dumps(wrong)], references=[json.dumps(tricky)], return_details=True)
    assert detail["details"][0]["errors"] == [{"kind": "wrong_type", "pointer": "/slash~1key/~0/2"}]


def test_lone_surrogates_in_the_raw_text_are_stored_as_replacement_characters(metric):
    results = metric.compute(
        predictions=['{"name": "Ada\ud800", "age": 36, "tags": ["a", "b"]}'],
        references=[REFERENCE],
        schemas=[SCHEMA],
        return_details=True,
    )
    assert results["details"][0]["parsed"]["name"] == "Ada\ufffd"
    assert results["details"][0]["errors"] == [{"kind": "wrong_value", "pointer": "/name"}]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"predictions": ["{}", "{}", "{}"], "references": ["{}", "{}"]}, "index 2 has no reference"),
        ({"predictions": ["{}"], "references": ["{}", "{}"]}, "index 1 has no prediction"),
        ({"predictions": ["{}", "{}"], "references": ["{}", '{"a": 1'], "schemas": None}, r"references\[1\]"),
        ({"predictions": ["{}", "{}"], "references": ["{}", "[1]"]}, r"references\[1\] is not a usable JSON object"),
        ({"predictions": ["{}", "{}"], "references": ["{}", '{"a": NaN}']}, r"references\[1\]"),
        ({"predictions": ["{}"], "references": ["{}"], "schemas": ["{}", "{}"]}, "schemas has 2 items for 1"),
        ({"predictions": ["{}", "{}"], "references": ["{}", "{}"], "schemas": ["{}", "{"]}, r"schemas\[1\]"),
        (
            {"predictions": ["{}"], "references": ["{}"], "schemas": ['{"type": "objet"}']},
            r"schemas\[0\] is not a usable JSON Schema: invalid at /type",
        ),
        ({"predictions": ["{}"], "references": ["{}"], "complexities": [None]}, r"complexities\[0\] must be a string"),
        ({"predictions": ["{}"], "references": ["{}"], "schema_ids": []}, "schema_ids has 0 items for 1"),
        ({"predictions": [], "references": []}, "nothing to score"),
        ({"predictions": ["{}", None], "references": ["{}", "{}"]}, r"predictions\[1\] must be a string"),
        ({"predictions": ["{}", 5], "references": ["{}", "{}"]}, r"predictions\[1\] must be a string, got int"),
        ({"predictions": [5, "{}"], "references": ["{}", "{}"]}, r"predictions\[0\] must be a string, got int"),
        ({"predictions": ["{}", "{}"], "references": ["{}", 7]}, r"references\[1\] must be a JSON string, got int"),
        (
            {"predictions": ["{}", '{"name": "x"}'], "references": ["{}", "{}"], "schemas": ["{}", DANGLING]},
            r"schemas\[1\] is not a usable JSON Schema: \$ref '#/\$defs/person' does not resolve",
        ),
        (
            {"predictions": ['{"a": "5"}'], "references": ['{"a": "5"}'], "schemas": [CYCLE]},
            r"schemas\[0\] is not a usable JSON Schema: \$ref cycle #/\$defs/x -> #/\$defs/y -> #/\$defs/x: ",
        ),
        (
            {"predictions": ['{"a": "5"}'], "references": ['{"a": "5"}'], "schemas": [ROOT_CYCLE]},
            r"schemas\[0\] is not a usable JSON Schema: \$ref cycle # -> #: ",
        ),
        (
            {"predictions": ["{}"], "references": ["{}"], "schemas": [DEEP_SCHEMA]},
            r"schemas\[0\] is not a usable JSON Schema: the schema nests deeper than 64 levels of JSON",
        ),
        ({"predictions": ["{}"], "references": ['{"a": 1e999}']}, r"references\[0\].*number_out_of_range"),
        ({"predictions": ["{}", "{}"], "references": ["{}", None]}, r"references\[1\] must be a JSON string"),
    ],
)
def test_bad_inputs_raise_a_value_error_that_says_where(metric_dir, kwargs, message):
    # In memory: evaluate keeps a failed computation's cache file locked, which slows the next one by a second.
    metric = evaluate.load(str(metric_dir), keep_in_memory=True)
    with pytest.raises(ValueError, match=message):
        metric.compute(**kwargs)
    assert metric.compute(predictions=["{}"], references=["{}"])["json_exact"] == 1  # still usable afterwards


def test_a_non_string_added_one_at_a_time_is_refused(metric_dir):
    metric = evaluate.load(str(metric_dir), keep_in_memory=True)
    metric.add(prediction="{}", reference="{}")
    with pytest.raises(ValueError, match="prediction must be a string, got dict"):
        metric.add(prediction={"a": 1}, reference="{}")
    assert metric.compute()["json_exact"] == 1


def test_a_recursive_schema_that_descends_into_items_is_usable_and_validates_any_depth(metric):
    node = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "kids": {"type": "array", "items": {"$ref": "#"}}},
    }
    tree = {"name": "leaf"}
    for _ in range(15):  # 31 levels of JSON, the most an answer may have
        tree = {"name": "node", "kids": [tree]}
    wrong = json.loads(json.dumps(tree).replace('"leaf"', "7"))
    results = metric.compute(
        predictions=[json.dumps(tree), json.dumps(wrong)],
        references=[json.dumps(tree)] * 2,
        schemas=[json.dumps(node)] * 2,
        return_details=True,
    )
    assert [d["schema_valid"] for d in results["details"]] == [1, 0]
    assert results["details"][1]["schema_error"].endswith("/kids/0/name: 7 is not of type 'string'")


BACKTRACKING = {  # pattern, the string it is matched against: exponential time for a backtracking engine
    "a motto": (r"^(\w+\s?)+$", "Ada Lovelace works at the Analytic Engine!"),
    "28 a's and !": (r"^(a+)+$", "a" * 28 + "!"),
    "40 a's and !, a pattern that backtracks in any engine": (r"^(a|aa)+$", "a" * 40 + "!"),
}


@pytest.mark.parametrize("case", list(BACKTRACKING))
def test_a_backtracking_pattern_is_matched_in_bounded_time(metric, case):
    pattern, value = BACKTRACKING[case]
    schemas = {  # schema -> a prediction it matches the pattern against the value in
        "pattern": ({"properties": {"v": {"pattern": pattern}}}, {"v": value}),
        "propertyNames": ({"propertyNames": {"pattern": pattern}}, {value: 1}),
        "patternProperties": ({"patternProperties": {pattern: True}, "additionalProperties": False}, {value: 1}),
    }
    predictions = [json.dumps(prediction) for _, prediction in schemas.values()]
    started = time.perf_counter()
    results = metric.compute(
        predictions=predictions,
        references=predictions,
        schemas=[json.dumps({"type": "object", **schema}) for schema, _ in schemas.values()],
        return_details=True,
    )
    assert time.perf_counter() - started < 5  # from 6 s to minutes each before
    assert [d["schema_valid"] for d in results["details"]] == [0, 0, 0]
    errors = [d["schema_error"] for d in results["details"]]
    assert all(repr(value) in error for error in errors), errors
    if "any engine" in case:
        assert all(f"could not be matched against {pattern!r} within 0.1 s" in error for error in errors), errors
