"""What the scores are: the original three on hand-worked cases, the stricter ones, breakdowns and failure counts."""

import json

import pytest
from jsonschema import Draft202012Validator

ORIGINAL = ("json_exact", "field_f1", "schema_compliance")
# Each case: (expected, raw prediction). The values the original definitions give are worked out beside each.
CASES = [
    # Top-level keys: expected {name, age, city}, predicted {name, age, email}. Equal: name only ("36" != 36).
    # field_f1: precision 1/3, recall 1/3 -> 1/3. schema_compliance: age is a string, not a number -> 0.
    ('{"name": "Ada", "age": 36, "city": "Oslo"}', '{"name": "Ada", "age": "36", "email": "a@b.c"}'),
    # Equal: id (7.0 == 7) and paid; total differs; items differs in one nested value, so the whole key is wrong.
    # field_f1: precision 2/5 (note is extra), recall 2/4 -> 2*(2/5)*(2/4)/(2/5+2/4) = 4/9.
    # schema_compliance: id, total number/number (int and float interchangeable), items array, paid boolean -> 1.
    (
        '{"id": 7, "total": 10, "items": [{"sku": "X", "qty": 2}, {"sku": "Y", "qty": 1}], "paid": true}',
        'Result: {"id": 7.0, "total": 10.5, "items": [{"sku": "X", "qty": 2}, {"sku": "Y", "qty": 3}], '
        '"paid": true, "note": null}',
    ),
    # Same object, keys reordered, 1.0 for 1: exact -> 1, 1, 1.
    ('{"a": 1, "b": "x"}', '{"b": "x", "a": 1.0}'),
    # Nothing to parse -> 0, 0, 0.
    ('{"a": 1}', "I do not know."),
    # One of two keys missing: precision 1/1, recall 1/2 -> 2/3. schema_compliance: b missing -> 0.
    ('{"a": 1, "b": 2}', '{"a": 1}'),
]
WORKED = [  # json_exact, field_f1, schema_compliance of each case, from the comments above
    (0, 1 / 3, 0),
    (0, 4 / 9, 1),
    (1, 1, 1),
    (0, 0, 0),
    (0, 2 / 3, 0),
]


def _compute(metric, cases, **kwargs):
    references, predictions = zip(*cases, strict=True)
    return metric.compute(predictions=list(predictions), references=list(references), **kwargs)


def test_original_definitions_on_hand_worked_cases(metric):
    results = _compute(metric, CASES, return_details=True)
    for detail, worked in zip(results["details"], WORKED, strict=True):
        assert tuple(detail[key] for key in ORIGINAL) == pytest.approx(worked)
    # Means over the five cases: json_exact 1/5; field_f1 (3/9 + 4/9 + 9/9 + 0 + 6/9) / 5 = 22/45; compliance 2/5.
    assert (results["json_exact"], results["field_f1"], results["schema_compliance"]) == pytest.approx(
        (1 / 5, 22 / 45, 2 / 5)
    )


def test_leaf_f1_scores_every_nested_leaf_by_its_path(metric):
    # Case 2 leaves. Expected 7: /id /total /items/0/sku /items/0/qty /items/1/sku /items/1/qty /paid.
    # Predicted 8: the same and /note. Equal 5 (all but /total and /items/1/qty): F1 = 2*5 / (7 + 8) = 2/3.
    detail = _compute(metric, [CASES[1]], return_details=True)["details"][0]
    assert detail["leaf_f1"] == pytest.approx(2 / 3)
    assert detail["errors"] == [
        {"kind": "wrong_value", "pointer": "/total"},
        {"kind": "wrong_value", "pointer": "/items/1/qty"},
        {"kind": "extra_field", "pointer": "/note"},
    ]
    assert detail["failure"] == "wrong_value"
    # List positions are part of the path: swapped items match no leaf of the other; swapped keys match all.
    swapped = _compute(metric, [('{"l": [{"a": 1}, {"a": 2}]}', '{"l": [{"a": 2}, {"a": 1}]}')])
    assert swapped["leaf_f1"] == 0 and swapped["field_errors"]["wrong_value"] == 2


def test_number_boolean_key_order_and_missing_field_rules(metric):
    cases = [
        ('{"n": 1, "m": 2.5}', '{"m": 2.50, "n": 1.0}'),  # 1 == 1.0, key order irrelevant
        ('{"paid": true}', '{"paid": 1}'),  # true != 1
        ('{"zero": 0}', '{"zero": false}'),  # 0 != false
        ('{"name": "Ada"}', '{"name": "Ada", "phone": null}'),  # a predicted null for an absent field is extra
        ('{"s": "Oslo"}', '{"s": "oslo"}'),  # strings compare exactly
    ]
    details = _compute(metric, cases, return_details=True)["details"]
    assert [d["json_exact"] for d in details] == [1, 0, 0, 0, 0]
    assert [d["failure"] for d in details] == [None, "wrong_type", "wrong_type", "extra_field", "wrong_value"]
    # The extra null leaves recall whole: leaf precision 1/2, recall 1/1 -> 2/3.
    assert details[3]["leaf_f1"] == pytest.approx(2 / 3) and details[3]["schema_compliance"] == 1


SCHEMA = {
    "type": "object",
    "required": ["email", "when", "day"],
    "additionalProperties": False,
    "properties": {
        "email": {"type": "string", "format": "email"},
        "when": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
    },
}


def test_schema_valid_checks_types_formats_and_extra_keys(metric):
    good = {"email": "a@b.c", "when": "2024-05-01T10:00:00Z", "day": "2024-05-01"}
    variants = [
        good,
        {**good, "email": "nobody"},  # format email
        {**good, "when": "yesterday"},  # format date-time
        {**good, "day": "2024-02-30"},  # format date: no such day
        {**good, "tags": ["a", "b", "c"]},  # maxItems
        {**good, "extra": 1},  # additionalProperties
        {"email": "a@b.c", "when": "2024-05-01T10:00:00Z"},  # required
    ]
    predictions = [json.dumps(v) for v in variants] + ["not json"]
    results = metric.compute(
        predictions=predictions,
        references=[json.dumps(good)] * len(predictions),
        schemas=[json.dumps(SCHEMA)] * len(predictions),
        return_details=True,
    )
    assert [d["schema_valid"] for d in results["details"]] == [1, 0, 0, 0, 0, 0, 0, 0]
    assert results["schema_valid"] == 1 / 8
    assert results["details"][1]["schema_error"] == "/email: 'nobody' is not a 'email'"
    assert results["details"][0]["schema_error"] is None


def test_each_distinct_schema_is_compiled_once(metric, monkeypatch):
    compiled = []
    check = Draft202012Validator.check_schema.__func__
    monkeypatch.setattr(
        Draft202012Validator, "check_schema", classmethod(lambda cls, s: compiled.append(s) or check(cls, s))
    )
    schemas = [json.dumps({"type": "object", "title": f"compiled-once-{i % 2}"}) for i in range(50)]
    metric.compute(predictions=['{"a": 1}'] * 50, references=['{"a": 1}'] * 50, schemas=schemas)
    assert len(compiled) == 2


def test_without_schemas_there_is_no_schema_valid(metric):
    results = metric.compute(predictions=['{"a": 1}'], references=['{"a": 1}'], return_details=True)
    assert "schema_valid" not in results and results["details"][0]["schema_valid"] is None
    assert set(results) == {*ORIGINAL, "leaf_f1", "parse_rate", "failures", "field_errors", "details"}


def test_breakdowns_and_failure_counts(metric):
    predictions = ['{"a": 1}', '{"a": 2}', "", '{"a": 1', '{"a": 1}', '{"b": 1}']
    results = metric.compute(
        predictions=predictions,
        references=['{"a": 1}'] * 6,
        complexities=["complex", "simple", "simple", "medium", "medium", "simple"],
        schema_ids=["z", "y", "y", "x", "x", "y"],
    )
    assert list(results["by_complexity"]) == ["simple", "medium", "complex"]
    # simple: {"a": 2} (a is a number, as expected: compliant), "" (nothing), {"b": 1} (a missing).
    assert results["by_complexity"]["simple"] == {
        "json_exact": 0.0,
        "field_f1": 0.0,
        "schema_compliance": 1 / 3,
        "leaf_f1": 0.0,
        "parse_rate": 2 / 3,
        "n": 3,
    }
    assert results["by_complexity"]["medium"]["json_exact"] == 0.5
    assert list(results["by_schema"]) == ["x", "y", "z"] and results["by_schema"]["z"]["json_exact"] == 1.0
    # Failures: one example each, exact ones excluded, so they add up to 6 - 2.
    failures = {kind: n for kind, n in results["failures"].items() if n}
    assert failures == {"no_json": 1, "truncated_json": 1, "missing_field": 1, "wrong_value": 1}
    # The {"b": 1} example has two faults: /a missing and /b extra.
    assert results["field_errors"] == {"missing_field": 1, "wrong_type": 0, "wrong_value": 1, "extra_field": 1}


def test_details_hold_one_record_per_example(metric):
    results = _compute(metric, CASES, return_details=True)
    assert len(results["details"]) == len(CASES)
    first = results["details"][0]
    keys = {"parsed", "failure", "errors", "json_exact", "field_f1", "leaf_f1", "schema_compliance", "schema_valid"}
    assert keys <= set(first)
    assert first["parsed"] == {"name": "Ada", "age": "36", "email": "a@b.c"}
    assert results["details"][3]["parsed"] is None and results["details"][3]["failure"] == "no_json"


def test_batches_and_single_examples_add_up_to_one_computation(metric):
    references, predictions = (list(column) for column in zip(*CASES, strict=True))
    whole = metric.compute(predictions=predictions, references=references, schema_ids=list("abcde"))
    metric.add_batch(predictions=predictions[:2], references=references[:2])
    for prediction, reference in zip(predictions[2:], references[2:], strict=True):
        metric.add(prediction=prediction, reference=reference)
    assert metric.compute(schema_ids=list("abcde")) == whole


def test_the_datasets_own_answers_score_perfectly_even_wrapped_in_chatter(metric, metric_dir):
    data = metric_dir.parents[1] / "edgejson_dataset" / "data"
    rows = [json.loads(line) for split in ("test", "test_unseen") for line in (data / f"{split}.jsonl").open()]
    results = metric.compute(
        predictions=[f"Sure:\n```json\n{row['expected_output']}\n```\nDone." for row in rows],
        references=[row["expected_output"] for row in rows],
        schemas=[row["schema"] for row in rows],
        complexities=[row["complexity"] for row in rows],
    )
    assert all(results[key] == 1 for key in (*ORIGINAL, "leaf_f1", "schema_valid", "parse_rate"))
    assert set(results["by_complexity"]) == {"simple", "medium", "complex"}
