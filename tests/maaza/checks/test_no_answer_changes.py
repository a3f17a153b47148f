"""No answer changes unless a rule does: every committed results file made with the checks under today's rules gives,
run again from its stored raw outputs, the same ``repaired``, ``dropped`` and ``parsed``. The value check runs again
as it is; the key check's drops need the model's scores, so they are taken from the file, and must still name
optional keys of the value-checked answer that, removed, give the stored answer."""

import hashlib
import json
from pathlib import Path

import pytest

from edgejson.answer import read_answer
from edgejson.schemas import parse_schema
from edgejson_dataset.build import DATASET_DIR
from maaza.checks.keys import dotted, optional_keys, without
from maaza.checks.values import RULE, check_values
from maaza.evaluation.results import results_files

RESULTS = Path(__file__).resolve().parents[3] / "results"
# The rules v0.5 was released with: its results files record them (older files, made under earlier rules, differ on
# purpose: each rule added since changed some answers).
RELEASED = RESULTS / "maaza-mlm-135m-json" / "test-constrained-spans-keycheck-valuecheck.json"


def _replayed() -> list[Path]:
    rules = {RULE, json.loads(RELEASED.read_text())["decoding"]["value_check_rule"]}
    files = []
    for path in results_files(RESULTS):
        decoding = json.loads(path.read_text()).get("decoding", {})
        if decoding.get("key_check") or decoding.get("value_check"):
            if not decoding.get("value_check") or decoding.get("value_check_rule") in rules:
                files.append(path)
    return files


REPLAYED = _replayed()


def test_the_released_runs_are_replayed():
    """The release's own runs with the checks are among the files replayed: the test cannot pass on none."""
    names = {str(path.relative_to(RESULTS)) for path in REPLAYED}
    for split in ("test", "test_unseen", "test_styles"):
        assert f"maaza-mlm-135m-json/{split}-constrained-spans-keycheck-valuecheck.json" in names


@pytest.mark.parametrize("path", REPLAYED, ids=lambda path: str(path.relative_to(RESULTS)))
def test_the_checks_give_the_stored_answers(path):
    run = json.loads(path.read_text())
    split, decoding = run["dataset"]["split"], run["decoding"]
    data = DATASET_DIR / "data" / f"{split}.jsonl"
    assert hashlib.sha256(data.read_bytes()).hexdigest() == run["dataset"]["sha256"], f"{split} changed since {path}"
    rows = {row["id"]: row for row in map(json.loads, data.read_text().splitlines())}
    for example in run["examples"]:
        answer = read_answer(example["raw_output"]).value
        if answer is None:
            assert example["parsed"] is None, example["id"]
            continue
        row = rows[example["id"]]
        schema = parse_schema(row["schema"])
        dropped, repaired = [], []
        if decoding.get("value_check"):  # older files record no value check when they ran none
            answer, dropped, repaired = check_values(row["text"], schema, answer)
        assert repaired == example.get("repaired", []), example["id"]
        assert dropped == example.get("dropped", [])[: len(dropped)], example["id"]
        for key in example.get("dropped", [])[len(dropped) :]:  # the key check's, after the value check
            paths = {dotted(at): at for at, _, _ in optional_keys(answer, schema)}
            assert key in paths, f"{example['id']}: {key} is not an optional key of the answer"
            answer = without(answer, paths[key])
        assert answer == example["parsed"], example["id"]
