"""Dates and times as texts write them (ISO 8601, ``edgejson.formats``): ``maaza extract --constrained`` lets a model
copy each form as the text states it, and the metric counts each valid against its format."""

import json
import random
import re
from pathlib import Path

import evaluate
import pytest
import xgrammar as xgr
from maaza_tiny import export_taught_model, run_command
from tiny_models import save_taught_model
from transformers import AutoTokenizer

from edgejson import build_messages, format_answer
from edgejson.formats import PATTERNS
from maaza.cli import main
from maaza.inference.constrained import SchemaConstraint

METRIC_DIR = Path(__file__).resolve().parents[3] / "metrics" / "edgejson"
FORMS = {  # key: (format, a value in a form a text writes)
    "no_zone": ("date-time", "2005-07-03T17:42:53.545351"),
    "space_for_t": ("date-time", "2005-07-03 17:42:53"),
    "nine_digits_and_offset": ("date-time", "2005-07-03T17:42:53.123456789+02:00"),
    "minutes_utc": ("date-time", "2005-07-03T17:42Z"),
    "date": ("date", "2005-07-03"),
    "clock": ("time", "17:42"),
    "clock_with_zone": ("time", "17:42:53.5-05:00"),
}
NOT_FORMS = {  # format: values no text should be read as
    "date-time": ["2005-07-03T17:42:53.1234567890", "2005-02-30 17:42", "2005-07-03T24:00", "2005-07-03", "17:42"],
    "date": ["2005-7-3", "2005-07-32", "2005-07-03T17:42", "2005-07-03\n", "٢٠٠٥-07-03"],
    "time": ["17", "17:60", "17:42:53+0200", "2005-07-03T17:42", "17:42\n", "١٧:٤٢"],
}


def _schema(form: str) -> dict:
    return {"type": "object", "properties": {"when": {"type": "string", "format": form}}, "required": ["when"]}


@pytest.mark.parametrize("key", list(FORMS))
def test_constrained_decoding_copies_each_form_as_the_text_writes_it(capsys, tmp_path, key):
    form, value = FORMS[key]
    text = f"The server logged it at {value}, then stopped."
    model = save_taught_model(tmp_path / "model", build_messages(_schema(form), text), format_answer({"when": value}))
    (tmp_path / "schema.json").write_text(json.dumps(_schema(form)))
    argv = ("extract", "--schema", tmp_path / "schema.json", "--text", text, "--model", model, "--constrained")
    code, out, err = run_command(capsys, main, *argv, "--compact")
    assert code == 0, err
    assert json.loads(out) == {"when": value}  # before: RFC 3339 forced a zone and seconds in, or no end at all


def test_the_onnx_engines_guidance_copies_a_date_time_without_a_zone(capsys, tmp_path):
    pytest.importorskip("onnxruntime_genai")
    form, value = FORMS["no_zone"]
    text = f"The server logged it at {value}, then stopped."
    _, folder = export_taught_model(tmp_path, build_messages(_schema(form), text), format_answer({"when": value}))
    (tmp_path / "schema.json").write_text(json.dumps(_schema(form)))
    capsys.readouterr()  # what the export printed
    argv = ("extract", "--schema", tmp_path / "schema.json", "--text", text, "--engine", "onnx", "--model", folder)
    code, out, err = run_command(capsys, main, *argv, "--constrained", "--compact")
    assert code == 0, err
    assert json.loads(out) == {"when": value}


def _near_misses(seed: int = 0) -> set[str]:
    """Each form and a few hundred strings one to three edits away from one (seeded)."""
    rng, found = random.Random(seed), {value for _, value in FORMS.values()}
    for value in sorted(found):
        for _ in range(100):
            chars = list(value)
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(chars) + 1)
                if rng.random() < 0.5 and at < len(chars):
                    del chars[at]
                else:
                    chars.insert(at, rng.choice("0123456789:-+.TZ "))
            found.add("".join(chars))
    return found


@pytest.mark.parametrize("form", list(PATTERNS))
def test_the_grammar_allows_exactly_the_forms(tiny_model, form):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    grammar = SchemaConstraint(tokenizer, len(tokenizer)).compile(_schema(form))
    for text in _near_misses():
        allowed = xgr.GrammarMatcher(grammar).accept_string(json.dumps({"when": text}, separators=(",", ":")))
        assert allowed == bool(re.fullmatch(PATTERNS[form], text)), text  # xgrammar once allowed "17:4272"


@pytest.fixture(scope="module")
def metric() -> evaluate.EvaluationModule:
    return evaluate.load(str(METRIC_DIR))


def _valid(metric: evaluate.EvaluationModule, form: str, values: list[str]) -> list[float]:
    schema = json.dumps({"type": "object", "properties": {"v": {"type": "string", "format": form}}})
    predictions = [json.dumps({"v": value}) for value in values]
    results = metric.compute(
        predictions=predictions, references=predictions, schemas=[schema] * len(values), return_details=True
    )
    return [detail["schema_valid"] for detail in results["details"]]


@pytest.mark.parametrize("key", list(FORMS))
def test_the_metric_counts_each_form_valid_against_its_format(metric, key):
    form, value = FORMS[key]
    assert _valid(metric, form, [value]) == [1.0]


@pytest.mark.parametrize("form", list(NOT_FORMS))
def test_the_metric_counts_what_is_no_such_form_invalid(metric, form):
    assert _valid(metric, form, NOT_FORMS[form]) == [0.0] * len(NOT_FORMS[form])
