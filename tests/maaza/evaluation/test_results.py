"""Results files are never lost nor mislabelled: one file per run, written whole, and every check made before the
model loads (``edgejson-eval`` and ``maaza.evaluation.results``)."""

import json
import os
import re
import stat

import pytest
from maaza_tiny import CLOSED_SCHEMA, TEXTS, run_eval, write_jsonl
from tiny_models import save_taught_model

from edgejson import build_messages
from maaza.evaluation.results import DataInfo, ModelInfo, Run, write_run

SURROGATE_SCHEMA = {"type": "object", "properties": {"emoji": {"type": "string"}}, "required": ["emoji"]}
HALF_AN_EMOJI = '{"emoji": "\\ud83d"}'  # what small models emit: an escaped lone surrogate


def _tickets(path, count=2):
    rows = [{"text": t, "schema": CLOSED_SCHEMA, "expected_output": {"status": "open"}} for t in TEXTS[:count]]
    return write_jsonl(path, rows)


def test_no_run_replaces_another(capsys, tmp_path, tiny_model):
    """A data file named like a split, another data file of the same name, and a partial run of a split each keep
    their own file; the full test run already there is untouched."""
    folder = tmp_path / "results" / tiny_model.name
    folder.mkdir(parents=True)
    (folder / "test.json").write_text("the full run\n")
    common = ("--model", tiny_model, "--results-dir", tmp_path / "results", "--limit", "1")
    for data in (_tickets(tmp_path / "a" / "test.jsonl"), _tickets(tmp_path / "b" / "test.jsonl", count=3)):
        assert run_eval(capsys, *common, "--data", data)[0] == 0
    assert run_eval(capsys, *common, "--split", "test")[0] == 0
    names = sorted(path.name for path in folder.iterdir())
    assert len(names) == 4 and "test-first1.json" in names, names
    assert sum(bool(re.fullmatch(r"test-[0-9a-f]{10}-first1\.json", name)) for name in names) == 2
    assert (folder / "test.json").read_text() == "the full run\n"
    split_run = json.loads((folder / "test-first1.json").read_text())
    assert split_run["dataset"]["split"] == "test" and split_run["dataset"]["limit"] == 1


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640)])
def test_a_results_file_is_as_readable_as_the_umask_allows(capsys, tmp_path, tiny_model, umask, mode):
    """Not private to its writer as the temporary file it is written to: others read the leaderboard's source."""
    data = _tickets(tmp_path / "tickets.jsonl", count=1)
    before = os.umask(umask)
    try:
        code, _, err = run_eval(capsys, "--model", tiny_model, "--data", data, "--results-dir", tmp_path / "results")
    finally:
        os.umask(before)
    assert code == 0, err
    (path,) = (tmp_path / "results" / tiny_model.name).iterdir()
    assert stat.S_IMODE(path.stat().st_mode) == mode


@pytest.fixture(scope="module")
def emoji_model(tmp_path_factory):
    """A tiny model whose answer is half an emoji, escaped."""
    messages = build_messages(SURROGATE_SCHEMA, TEXTS[0])
    return save_taught_model(tmp_path_factory.mktemp("emoji-model"), messages, HALF_AN_EMOJI)


def test_an_answer_with_half_a_surrogate_pair_is_written(capsys, tmp_path, emoji_model):
    data = write_jsonl(tmp_path / "emoji.jsonl", [{"text": TEXTS[0], "schema": SURROGATE_SCHEMA,
                                              "expected_output": {"emoji": "x"}}])  # fmt: skip
    args = ("--model", emoji_model, "--data", data, "--results-dir", tmp_path / "results")
    for _ in range(2):  # the second run replaces the first one's file
        code, out, err = run_eval(capsys, *args)
        assert code == 0, err
    (path,) = (tmp_path / "results" / emoji_model.name).iterdir()
    assert f"results: {path}" in out
    example = json.loads(path.read_bytes().decode("ascii"))["examples"][0]
    assert example["raw_output"] == HALF_AN_EMOJI


def test_a_failed_write_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "model" / "test.json"
    path.parent.mkdir()
    path.write_text('{"old": true}\n')
    run = Run(ModelInfo("model", 1), DataInfo("test", 1), {"constrained": False}, {"json_exact": {1.0}})
    with pytest.raises(TypeError):  # a set is no JSON
        write_run(run, path)
    assert path.read_text() == '{"old": true}\n' and os.listdir(path.parent) == ["test.json"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"text": "x", "schema": CLOSED_SCHEMA, "expected_output": '{"status": NaN}'},
            r"bad.jsonl line 1: expected_output is not JSON the metric accepts \(NaN and Infinity are not JSON\)",
        ),
        (
            {
                "text": "x",
                "expected_output": "{}",
                "schema": {"type": "object", "properties": {"a": {"$ref": "#/$defs/a"}}},
            },
            r"bad.jsonl line 1, field schema: \$ref '#/\$defs/a' does not resolve",
        ),
    ],
)
def test_bad_data_is_refused_before_the_model_loads(capsys, tmp_path, row, message):
    data = write_jsonl(tmp_path / "bad.jsonl", [row])
    code, out, err = run_eval(capsys, "--model", "no-such-model", "--data", data, "--results-dir", tmp_path)
    assert code == 2 and out == "" and "no-such-model" not in err
    assert re.search(message, err), err


def test_nan_in_a_row_object_is_refused(capsys, tmp_path):
    data = tmp_path / "nan.jsonl"
    data.write_text('{"text": "x", "schema_id": "contact_info", "expected_output": {"name": NaN}}\n')
    code, _, err = run_eval(capsys, "--model", "no-such-model", "--data", data, "--results-dir", tmp_path)
    assert code == 2 and "nan.jsonl line 1 is not JSON the metric accepts (NaN and Infinity are not JSON)" in err


def test_a_data_file_that_is_not_utf8_is_named(capsys, tmp_path):
    data = tmp_path / "latin1.jsonl"
    data.write_bytes('{"text": "café", "schema_id": "contact_info", "expected_output": "{}"}\n'.encode("latin-1"))
    code, _, err = run_eval(capsys, "--model", "no-such-model", "--data", data, "--results-dir", tmp_path)
    assert code == 2 and f"--data {data} is not valid UTF-8 (byte 13)" in err, err


DEEP = '{"a": ' + "[" * 32 + "]" * 32 + "}"  # 33 levels


@pytest.mark.parametrize(
    ("expected", "where", "reason"),
    [
        (json.dumps('{"a": 1e999}'), "line 3: expected_output", "a number is too large for a double"),
        (json.dumps('{"a": 1, "a": 2}'), "line 3: expected_output", "a key appears twice in one object"),
        (json.dumps(DEEP), "line 3: expected_output", "it is nested deeper than 32 levels"),
        ('{"a": -1e999}', "line 3", "a number is too large for a double"),  # expected_output as an object
        ('{"a": 1, "a": 2}', "line 3", "a key appears twice in one object"),
    ],
)
def test_an_expected_output_the_metric_would_refuse_is_refused_before_the_model_loads(
    capsys, tmp_path, expected, where, reason
):
    """The metric's own rules for a reference (``edgejson.answer.loads``), whether expected_output is a JSON string or
    an object; the error names the file and the line (blank lines count)."""
    data = tmp_path / "refs.jsonl"
    good = '{"text": "x", "schema_id": "contact_info", "expected_output": "{}"}'
    data.write_text(f'{good}\n\n{{"text": "x", "schema_id": "contact_info", "expected_output": {expected}}}\n')
    code, out, err = run_eval(capsys, "--model", "no-such-model", "--data", data, "--results-dir", tmp_path)
    assert code == 2 and out == ""
    assert err.endswith(f"refs.jsonl {where} is not JSON the metric accepts ({reason})\n"), err


@pytest.mark.parametrize("blocker", ["results", "results/no-such-model"])
def test_a_results_folder_that_is_a_file_is_refused_before_the_model_loads(capsys, tmp_path, blocker):
    (tmp_path / blocker).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / blocker).write_text("not a folder")
    data = _tickets(tmp_path / "tickets.jsonl")
    code, _, err = run_eval(capsys, "--model", "no-such-model", "--data", data, "--results-dir", tmp_path / "results")
    assert code == 2 and f"{tmp_path / blocker} is a file, not a folder" in err, err


def test_an_unwritable_results_folder_is_refused_before_the_model_loads(capsys, tmp_path):
    data = _tickets(tmp_path / "tickets.jsonl")
    code, _, err = run_eval(capsys, "--model", "no-such-model", "--data", data, "--results-dir", "/proc/results")
    assert code == 2 and "edgejson-eval: error: cannot write results" in err and "/proc/results" in err, err


def test_a_missing_metric_is_refused_before_the_model_loads(capsys, tmp_path):
    data = _tickets(tmp_path / "tickets.jsonl")
    code, _, err = run_eval(capsys, "--model", "no-such-model", "--data", data, "--metric", tmp_path / "nowhere")
    assert code == 2 and "--metric" in err and "no such folder or file" in err
