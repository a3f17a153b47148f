"""EdgeJSON: scores for text -> JSON extraction, the original release's three and stricter ones.

Usage: ``evaluate.load("CycleCore/edgejson").compute(predictions=raw_outputs, references=expected_json)``
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from statistics import fmean
from typing import Any

import datasets
import evaluate
from jsonschema.exceptions import best_match

from .answer import FAILURES, Rejected, loads, pointer, read_answer, schema_json, schema_validator

# answer.py reads formats.py, and evaluate copies only the files that this script imports
from .formats import PATTERNS as PATTERNS

_CITATION = """\
@misc{edgejson2026,
  title  = {EdgeJSON: a benchmark for text-to-JSON extraction on edge devices},
  author = {CycleCore},
  year   = {2026},
  note   = {Hugging Face dataset CycleCore/edgejson and metric Space CycleCore/edgejson}
}
"""

_DESCRIPTION = """\
EdgeJSON scores raw model outputs for text -> JSON extraction against expected JSON objects.
It reads the first complete JSON object out of each output (after chatter, inside a code fence, at
any depth) and returns the original EdgeJSON scores (json_exact, field_f1, schema_compliance) beside
stricter ones (leaf_f1 over every nested leaf, schema_valid against the JSON Schema, parse_rate),
breakdowns by complexity and schema, and counts of failure kinds. Numbers compare by value (1 == 1.0),
booleans never equal numbers, key order is irrelevant. Nothing a model emits makes it raise: a prediction is
scored, and a bad input (a non-string, an unusable reference or schema) raises ValueError naming its index.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): raw model outputs, chatter included.
    references (`list` of `str`): expected objects as JSON strings.
    schemas (`list` of `str`, *optional*): the JSON Schema of each example as a JSON string; adds `schema_valid`.
    complexities (`list` of `str`, *optional*): a band per example (simple, medium, complex); adds `by_complexity`.
    schema_ids (`list` of `str`, *optional*): a schema name per example; adds `by_schema`.
    return_details (`bool`, *optional*, defaults to `False`): adds `details`, one dict per example.

Returns:
    json_exact (`float`): share of predictions equal to their reference.
    field_f1 (`float`): mean F1 over top-level keys (a key counts when its whole value is equal).
    schema_compliance (`float`): share of predictions holding every expected top-level key with the same JSON type.
    leaf_f1 (`float`): mean F1 over every leaf of the nested object, list positions included in the path.
    schema_valid (`float`, with `schemas`): share of predictions valid against their JSON Schema.
    parse_rate (`float`): share of predictions from which a JSON object was read.
    failures (`dict`): examples counted by the first failure that applies, for each failure kind.
    field_errors (`dict`): faults counted over all examples: missing_field, wrong_type, wrong_value, extra_field.
    by_complexity, by_schema (`dict`, when given): the scores and `n` of each group.
    details (`list` of `dict`, with `return_details=True`): per example `parsed`, `failure`, `errors` (each fault's
        `kind` and JSON `pointer`), the four scores above, `schema_valid` (None without schemas), `schema_error`.

Examples:

    >>> edgejson_metric = evaluate.load("CycleCore/edgejson")  # doctest: +SKIP

    Chatter and code fences are skipped; one wrong value costs one of two fields:

    >>> predictions = ['Sure! ```json\\n{"name": "Ada", "age": 36}\\n```', '{"age": 37, "name": "Ada"}']
    >>> references = ['{"name": "Ada", "age": 36}', '{"name": "Ada", "age": 36}']
    >>> results = edgejson_metric.compute(predictions=predictions, references=references)
    >>> print({k: round(results[k], 3) for k in ("json_exact", "field_f1", "schema_compliance", "leaf_f1")})
    {'json_exact': 0.5, 'field_f1': 0.75, 'schema_compliance': 1.0, 'leaf_f1': 0.75}

    One wrong leaf of a nested object: field_f1 loses the whole `items` field, leaf_f1 one leaf of five;
    a string where the schema asks for a number also fails schema_valid:

    >>> schema = json.dumps({"type": "object", "required": ["id", "items"], "properties": {
    ...     "id": {"type": "string"},
    ...     "items": {"type": "array", "items": {"type": "object", "properties": {
    ...         "sku": {"type": "string"}, "qty": {"type": "integer"}}}}}})
    >>> reference = '{"id": "A1", "items": [{"sku": "X", "qty": 2}, {"sku": "Y", "qty": 1}]}'
    >>> prediction = '{"id": "A1", "items": [{"sku": "X", "qty": 2}, {"sku": "Y", "qty": "1"}]}'
    >>> results = edgejson_metric.compute(
    ...     predictions=[prediction], references=[reference], schemas=[schema], return_details=True)
    >>> print(results["field_f1"], results["leaf_f1"], results["schema_valid"])
    0.5 0.8 0.0
    >>> print(results["details"][0]["failure"], results["details"][0]["errors"])
    wrong_type [{'kind': 'wrong_type', 'pointer': '/items/1/qty'}]

    Outputs with no usable object score 0 and are counted by failure kind, here per complexity band:

    >>> results = edgejson_metric.compute(
    ...     predictions=['{"name": "Ada", "age": 36', "I cannot help with that.", '[{"name": "Ada"}]'],
    ...     references=['{"name": "Ada", "age": 36}'] * 3,
    ...     complexities=["simple", "simple", "medium"])
    >>> print(results["parse_rate"], {k: v for k, v in results["failures"].items() if v})
    0.0 {'no_json': 1, 'truncated_json': 1, 'not_an_object': 1}
    >>> print(results["by_complexity"]["medium"])
    {'json_exact': 0.0, 'field_f1': 0.0, 'schema_compliance': 0.0, 'leaf_f1': 0.0, 'parse_rate': 0.0, 'n': 1}
"""

FIELD_ERRORS = ("missing_field", "wrong_type", "wrong_value", "extra_field")
SCORES = ("json_exact", "field_f1", "schema_compliance", "leaf_f1")
BANDS = ("simple", "medium", "complex")

_KINDS = {
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    type(None): "null",
    list: "array",
    dict: "object",
}
_SURROGATES = re.compile("[\ud800-\udfff]")


def _same(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, true != 1, key order irrelevant."""
    kind = _KINDS[type(a)]
    if kind != _KINDS[type(b)]:
        return False
    if kind == "object":
        return a.keys() == b.keys() and all(_same(value, b[key]) for key, value in a.items())
    if kind == "array":
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b


def _leaf_count(value: Any) -> int:
    """Leaves of a JSON value: scalars and empty containers."""
    if isinstance(value, dict) and value:
        return sum(map(_leaf_count, value.values()))
    if isinstance(value, list) and value:
        return sum(map(_leaf_count, value))
    return 1


def _token(key: str | int) -> str:
    """A key or list position as a JSON pointer token."""
    return str(key).replace("~", "~0").replace("/", "~1")


def _children(value: dict | list) -> dict[str, Any]:
    """Children by their JSON pointer token."""
    if isinstance(value, list):
        return {str(i): child for i, child in enumerate(value)}
    return {_token(key): child for key, child in value.items()}


def _compare(expected: Any, predicted: Any, path: str, errors: list[dict[str, str]]) -> int:
    """Leaves equal at the same path; each fault found is appended to ``errors`` with its JSON pointer."""
    kind = _KINDS[type(expected)]
    if kind != _KINDS[type(predicted)]:
        errors.append({"kind": "wrong_type", "pointer": path})
        return 0
    if kind in ("object", "array") and (expected or predicted):
        expected, predicted = _children(expected), _children(predicted)
        correct = 0
        for name in [*expected, *(name for name in predicted if name not in expected)]:
            if name in expected and name in predicted:
                correct += _compare(expected[name], predicted[name], f"{path}/{name}", errors)
            else:
                fault = "missing_field" if name in expected else "extra_field"
                errors.append({"kind": fault, "pointer": f"{path}/{name}"})
        return correct
    if expected == predicted:
        return 1
    errors.append({"kind": "wrong_value", "pointer": path})
    return 0


def _f1(correct: int, predicted: int, expected: int) -> float:
    return 1.0 if predicted == expected == 0 else 2 * correct / (predicted + expected)


@lru_cache(maxsize=256)
def _validator(schema: str) -> Any:
    """A validator for a JSON Schema string, compiled once per distinct string; ValueError when unusable."""
    try:
        return schema_validator(schema_json(schema))
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON: {err}") from None


def _reference(text: str, index: int) -> dict[str, Any]:
    try:
        value = loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"references[{index}] is not valid JSON: {err}") from None
    except Rejected as err:
        raise ValueError(f"references[{index}] is not a usable JSON object ({err.kind})") from None
    if not isinstance(value, dict):
        raise ValueError(f"references[{index}] is not a usable JSON object ({_KINDS[type(value)]})")
    return value


def _score(output: str, expected: dict[str, Any], validator: Any = None) -> dict[str, Any]:
    """All per-example results for one raw output against its expected object (and schema validator)."""
    parsed, failure = read_answer(output)
    detail = {"parsed": parsed, "failure": failure, "errors": [], **dict.fromkeys(SCORES, 0.0)}
    detail |= {"schema_valid": None if validator is None else 0.0, "schema_error": None}
    if parsed is None:
        return detail
    errors = detail["errors"]
    correct = _compare(expected, parsed, "", errors)
    top = sum(key in parsed and _same(value, parsed[key]) for key, value in expected.items())
    detail["failure"] = next((kind for kind in FIELD_ERRORS if any(e["kind"] == kind for e in errors)), None)
    detail["json_exact"] = float(not errors)
    detail["field_f1"] = _f1(top, len(parsed), len(expected))
    detail["leaf_f1"] = _f1(correct, _leaf_count(parsed), _leaf_count(expected))
    detail["schema_compliance"] = float(
        all(key in parsed and _KINDS[type(parsed[key])] == _KINDS[type(value)] for key, value in expected.items())
    )
    if validator is not None:
        error = best_match(validator.iter_errors(parsed))
        detail["schema_valid"] = float(error is None)
        if error is not None:
            detail["schema_error"] = f"{pointer(error.absolute_path)}: {error.message}"[:300]
    return detail


def _summary(details: list[dict[str, Any]], with_schema: bool) -> dict[str, float]:
    out = {key: fmean(d[key] for d in details) for key in SCORES}
    if with_schema:
        out["schema_valid"] = fmean(d["schema_valid"] for d in details)
    out["parse_rate"] = fmean(d["parsed"] is not None for d in details)
    return out


def _labels(values: list[Any] | None, name: str, n: int) -> list[str] | None:
    if values is None:
        return None
    if len(values) != n:
        raise ValueError(f"{name} has {len(values)} items for {n} predictions (index {min(len(values), n)} unpaired)")
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise ValueError(f"{name}[{i}] must be a string, got {type(value).__name__}")
    return list(values)


def _groups(details: list[dict[str, Any]], labels: list[str], with_schema: bool) -> dict[str, dict[str, float]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for detail, label in zip(details, labels, strict=True):
        groups.setdefault(label, []).append(detail)
    names = [b for b in BANDS if b in groups] + sorted(set(groups) - set(BANDS))
    return {name: {**_summary(groups[name], with_schema), "n": len(groups[name])} for name in names}


def _stored(value: Any, where: str) -> str:
    """A string as stored (Arrow would stringify anything else); lone surrogates, which Arrow cannot store as UTF-8,
    become U+FFFD."""
    if not isinstance(value, str):
        what = "a JSON string" if where.startswith("reference") else "a string"
        raise ValueError(f"{where} must be {what}, got {type(value).__name__}")
    return _SURROGATES.sub("\ufffd", value)


def _stored_all(values: list[Any] | None, name: str) -> list[str] | None:
    return None if values is None else [_stored(value, f"{name}[{i}]") for i, value in enumerate(values)]


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Edgejson(evaluate.Metric):
    """The EdgeJSON metric."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
            reference_urls=["https://json-schema.org/draft/2020-12/json-schema-validation"],
        )

    def add_batch(self, *, predictions: list[str] | None = None, references: list[str] | None = None, **kwargs):
        """Add a batch of raw outputs and expected JSON strings; their lengths must match."""
        if predictions is not None and references is not None and len(predictions) != len(references):
            short = "reference" if len(predictions) > len(references) else "prediction"
            raise ValueError(
                f"{len(predictions)} predictions and {len(references)} references: "
                f"index {min(len(predictions), len(references))} has no {short}"
            )
        predictions, references = _stored_all(predictions, "predictions"), _stored_all(references, "references")
        super().add_batch(predictions=predictions, references=references, **kwargs)

    def add(self, *, prediction: str | None = None, reference: str | None = None, **kwargs):
        """Add one raw output and its expected JSON string."""
        prediction = None if prediction is None else _stored(prediction, "prediction")
        reference = None if reference is None else _stored(reference, "reference")
        super().add(prediction=prediction, reference=reference, **kwargs)

    def _compute(
        self,
        predictions: list[str],
        references: list[str],
        schemas: list[str] | None = None,
        complexities: list[str] | None = None,
        schema_ids: list[str] | None = None,
        return_details: bool = False,
    ) -> dict[str, Any]:
        n = len(predictions)
        if n == 0:
            raise ValueError("nothing to score: predictions is empty")
        expected = [_reference(text, i) for i, text in enumerate(references)]
        validators = [None] * n
        for i, schema in enumerate(_labels(schemas, "schemas", n) or []):
            try:
                validators[i] = _validator(schema)
            except ValueError as err:
                raise ValueError(f"schemas[{i}] is not a usable JSON Schema: {err}") from None
        details = [_score(*args) for args in zip(predictions, expected, validators, strict=True)]
        with_schema = schemas is not None
        out: dict[str, Any] = _summary(details, with_schema)
        counts = Counter(d["failure"] for d in details)
        out["failures"] = {kind: counts[kind] for kind in FAILURES + FIELD_ERRORS}
        counts = Counter(e["kind"] for d in details for e in d["errors"])
        out["field_errors"] = {kind: counts[kind] for kind in FIELD_ERRORS}
        groupings = (("by_complexity", "complexities", complexities), ("by_schema", "schema_ids", schema_ids))
        for key, name, labels in groupings:
            if (labels := _labels(labels, name, n)) is not None:
                out[key] = _groups(details, labels, with_schema)
        if return_details:
            out["details"] = details
        return out
