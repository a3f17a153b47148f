"""``edgejson-eval`` on a tiny model: results files, reruns that reproduce them, other JSONL layouts, bad data."""

import json
import re
import subprocess
from pathlib import Path

import pytest
from maaza_tiny import (
    CLOSED_SCHEMA,
    TEXTS,
    eval_optional_ticket,
    run_eval,
    save_tiny_adapter,
    write_jsonl,
)

from maaza.evaluation.results import read_run
from maaza.inference.extract import Extractor

ROOT = Path(__file__).resolve().parents[3]

ANSWERS = [
    {"status": "open", "urgent": True, "level": 2},
    {"status": "closed", "urgent": False, "level": 1},
    {"status": "open", "urgent": False, "level": 1},
]


@pytest.fixture(scope="module")
def tickets(tmp_path_factory):
    """EdgeJSON-layout rows: text, schema (a JSON string), expected_output, schema_id and complexity."""
    rows = [
        {
            "id": f"t{i}",
            "schema_id": "ticket",
            "complexity": "simple",
            "text": text,
            "schema": json.dumps(CLOSED_SCHEMA),
            "expected_output": json.dumps(answer),
        }
        for i, (text, answer) in enumerate(zip(TEXTS, ANSWERS, strict=True))
    ]
    return write_jsonl(tmp_path_factory.mktemp("data") / "tickets.jsonl", rows)


def test_writes_a_results_file_that_a_rerun_reproduces(capsys, tmp_path, tiny_model, tickets):
    args = ("--model", tiny_model, "--data", tickets, "--constrained", "--batch-size", "2")
    code, out, _ = run_eval(capsys, *args, "--results-dir", tmp_path / "first")
    assert code == 0
    (path,) = (tmp_path / "first" / tiny_model.name).iterdir()
    assert re.fullmatch(r"tickets-[0-9a-f]{10}-constrained\.json", path.name)  # the data file's stem and rows
    assert f"results: {path}" in out and "json_exact" in out and "tokens/s" in out
    first = json.loads(path.read_text())
    assert first["dataset"]["examples"] == 3 and first["decoding"]["constrained"] is True
    assert set(first["scores"]) >= {"json_exact", "field_f1", "leaf_f1", "schema_valid", "parse_rate", "failures"}
    assert first["scores"]["schema_valid"] == 1.0  # constrained outputs always validate
    assert first["by_complexity"]["simple"]["n"] == 3 and first["by_schema"]["ticket"]["n"] == 3
    perf = first["performance"]
    assert perf["generated_tokens"] == sum(e["new_tokens"] for e in first["examples"]) > 0
    assert perf["tokens_per_s"] > 0 and perf["latency_p95_s"] >= perf["latency_p50_s"] > 0 and perf["peak_rss_mb"] > 0
    assert perf["mask_ms_per_token"] > 0 and perf["schema_compile_s"] >= 0
    assert {"torch", "transformers", "xgrammar"} <= set(first["provenance"]["libraries"])
    assert {"cpu", "cpu_cores", "gpus", "memory_gb"} <= set(first["provenance"]["machine"])
    example = first["examples"][0]
    assert example["id"] == "t0" and json.loads(example["raw_output"]) == example["parsed"]
    assert example["stop"] == "json" and example["new_tokens"] < example["budget"]

    run_eval(capsys, *args, "--results-dir", tmp_path / "second")
    second = json.loads((tmp_path / "second" / tiny_model.name / path.name).read_text())
    timeless = [[{k: v for k, v in e.items() if k != "latency_s"} for e in r["examples"]] for r in (first, second)]
    assert timeless[0] == timeless[1]
    assert (second["scores"], second["by_schema"]) == (first["scores"], first["by_schema"])


def test_scores_rows_in_the_original_layout_with_a_schemas_folder(capsys, tmp_path, tiny_model):
    (tmp_path / "schemas" / "simple").mkdir(parents=True)
    (tmp_path / "schemas" / "simple" / "ticket.json").write_text(json.dumps(CLOSED_SCHEMA))
    rows = [{"prompt": text, "schema_id": "ticket", "expected_output": json.dumps(answer)} for text, answer in
            zip(TEXTS[:2], ANSWERS[:2], strict=True)]  # fmt: skip
    data = write_jsonl(tmp_path / "v3.jsonl", rows)
    args = ("--model", tiny_model, "--data", data, "--schemas", tmp_path / "schemas", "--limit", "1")
    code, _, err = run_eval(capsys, *args, "--results-dir", tmp_path / "results")
    assert code == 0, err
    (path,) = (tmp_path / "results" / tiny_model.name).iterdir()
    assert re.fullmatch(r"v3-[0-9a-f]{10}-first1\.json", path.name)  # a run on the first row only says so
    record = json.loads(path.read_text())
    assert record["dataset"]["examples"] == 1 and record["dataset"]["limit"] == 1
    assert record["dataset"]["split"] is None and record["dataset"]["source"] == str(data)
    assert record["examples"][0]["complexity"] == "simple"  # told by the schema's folder
    assert record["performance"]["mask_ms_per_token"] is None


def test_an_edgejson_split_by_name(capsys, tmp_path, tiny_model):
    code, _, err = run_eval(capsys, "--model", tiny_model, "--split", "test_unseen", "--limit", "1",
                             "--results-dir", tmp_path)  # fmt: skip
    assert code == 0, err
    record = json.loads((tmp_path / tiny_model.name / "test_unseen-first1.json").read_text())
    assert record["dataset"]["split"] == "test_unseen" and len(record["dataset"]["sha256"]) == 64
    assert record["examples"][0]["budget"] > 16


def test_the_results_folder_is_named_after_the_adapter(capsys, tmp_path, tiny_model, tickets):
    adapter = save_tiny_adapter(tiny_model, tmp_path / "my-adapter", tiny_model)
    args = ("--model", tiny_model, "--adapter", adapter, "--data", tickets, "--limit", "1")
    code, _, err = run_eval(capsys, *args, "--results-dir", tmp_path / "results")
    assert code == 0, err
    (path,) = (tmp_path / "results" / "my-adapter").glob("tickets-*-first1.json")
    record = json.loads(path.read_text())
    assert record["model"]["adapter"] == str(adapter) and len(record["model"]["adapter_sha256"]) == 64
    code, _, err = run_eval(capsys, "--model", tiny_model, "--adapter", tmp_path / "nowhere", "--data", tickets)
    assert code == 2 and "no LoRA adapter" in err


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"text": "x", "expected_output": "{}"}, r"line 1 has neither a schema nor a schema_id"),
        ({"text": "x", "schema_id": "nope", "expected_output": "{}"}, r"schema 'nope' is not an EdgeJSON schema"),
        ({"schema_id": "contact_info", "expected_output": "{}"}, r"line 1 has no text \(looked for text, prompt\)"),
        ({"text": "x", "schema_id": "contact_info"}, r"line 1 has no expected_output"),
        ({"text": "x", "schema_id": "contact_info", "expected_output": "{"}, r"expected_output is not valid JSON"),
        (
            {"text": "x", "schema_id": "contact_info", "expected_output": "[1]"},
            r"expected_output is not a JSON object",
        ),
        ({"text": "x", "schema": '{"type": "object", "required": 3}', "expected_output": "{}"}, r"invalid schema at"),
        (["x", "{}"], r"line 1 is a JSON list, not an object with text and expected_output"),
        ({"text": 42, "schema_id": "contact_info", "expected_output": "{}"}, r"its text is a int, not a string"),
        ({"text": "x", "schema_id": "*", "expected_output": "{}"}, r"schema_id '\*' is not a schema name"),
    ],
)
def test_bad_rows_exit_2_naming_the_row(capsys, tmp_path, tiny_model, row, message):
    data = write_jsonl(tmp_path / "bad.jsonl", [row])
    code, out, err = run_eval(capsys, "--model", tiny_model, "--data", data, "--results-dir", tmp_path)
    assert code == 2 and out == ""
    assert "bad.jsonl line 1" in err
    assert re.search(message, err), err


def test_a_line_that_is_not_json_is_named(capsys, tmp_path, tiny_model, tickets):
    data = tmp_path / "broken.jsonl"
    data.write_text(tickets.read_text() + "{not json\n")
    code, _, err = run_eval(capsys, "--model", tiny_model, "--data", data, "--results-dir", tmp_path)
    assert code == 2 and "broken.jsonl line 4 is not valid JSON" in err


def test_a_run_with_the_key_check_scores_the_checked_answer(capsys, tmp_path, tiny_model):
    """The tiny model answers the first ticket with an optional key that the key check drops (as ``maaza extract
    --key-check`` shows); the answer scored is the generated one less that key."""
    code = eval_optional_ticket(capsys, tmp_path, tiny_model, "--key-check")
    assert code == 0
    (path,) = (tmp_path / tiny_model.name).iterdir()
    assert re.fullmatch(r"optional-[0-9a-f]{10}-constrained-keycheck\.json", path.name)
    run = json.loads(path.read_text())
    assert run["decoding"]["key_check"] is True and "log-likelihood" in run["decoding"]["key_check_rule"]
    (example,) = run["examples"]
    generated = json.loads(example["raw_output"])
    assert example["dropped"] and all(key in generated for key in example["dropped"])
    assert (
        example["parsed"] == {k: v for k, v in generated.items() if k not in example["dropped"]} == {"status": "open"}
    )
    assert run["scores"]["json_exact"] == 1.0


def test_the_span_rule_needs_the_torch_engine(capsys, tmp_path, tickets):
    argv = ("--engine", "onnx", "--model", tmp_path, "--data", tickets, "--constrained", "--spans", "--key-check")
    code, _, err = run_eval(capsys, *argv, "--results-dir", tmp_path)
    assert code == 2 and "--spans runs on the torch engine" in err and "--key-check" not in err


def test_a_run_with_the_span_rule_copies_its_strings_from_the_text(capsys, tmp_path, tiny_model):
    """The tiny random model's constrained strings are no spans of the text; under the span rule, they are."""
    schema = {"type": "object", "properties": {"who": {"type": "string"}, "team": {"type": "string"}}}
    rows = [
        {"id": f"f{i}", "schema_id": "free", "text": text, "schema": json.dumps(schema), "expected_output": "{}"}
        for i, text in enumerate(TEXTS)
    ]
    data = write_jsonl(tmp_path / "free.jsonl", rows)
    strings = {}
    for spans in ((), ("--spans",)):
        code, _, _ = run_eval(
            capsys, "--model", tiny_model, "--data", data, "--constrained", *spans, "--results-dir", tmp_path
        )
        assert code == 0
        name = "free-[0-9a-f]{10}-constrained" + ("-spans" if spans else "") + r"\.json"
        (path,) = (p for p in (tmp_path / tiny_model.name).iterdir() if re.fullmatch(name, p.name))
        run = json.loads(path.read_text())
        assert run["decoding"]["spans"] is bool(spans)
        assert ("span of the text" in run["decoding"].get("spans_rule", "")) is bool(spans)
        strings[bool(spans)] = [(v, TEXTS[i]) for i, ex in enumerate(run["examples"]) for v in ex["parsed"].values()]
    assert strings[True] and all(value in text for value, text in strings[True])
    assert not all(value in text for value, text in strings[False])


def test_the_span_rule_needs_constrained_decoding(capsys, tmp_path, tiny_model, tickets):
    code, _, err = run_eval(capsys, "--model", tiny_model, "--data", tickets, "--spans", "--results-dir", tmp_path)
    assert code == 2 and "--spans is part of constrained decoding on the torch engine" in err


def test_the_decoding_section_is_the_record_the_options_make(capsys, tmp_path, tiny_model, tickets):
    """Every switch, the batch size as run and each switch's rule, as the model card, README and leaderboard read
    them back."""
    switches = ("--constrained", "--spans", "--key-check", "--value-check", "--batch-size", "2")
    code, _, _ = run_eval(capsys, "--model", tiny_model, "--data", tickets, *switches, "--results-dir", tmp_path)
    assert code == 0
    (path,) = (tmp_path / tiny_model.name).iterdir()
    assert re.fullmatch(r"tickets-[0-9a-f]{10}-constrained-spans-keycheck-valuecheck\.json", path.name)
    decoding = json.loads(path.read_text())["decoding"]
    assert list(decoding) == [
        "do_sample", "num_beams", "use_cache", "constrained", "engine", "batch_size", "max_new_tokens", "stop",
        "spans", "spans_rule", "key_check", "key_check_rule", "value_check", "value_check_rule", "prompt",
    ]  # fmt: skip
    assert (decoding["do_sample"], decoding["num_beams"], decoding["batch_size"]) == (False, 1, 2)
    assert decoding["constrained"] is decoding["spans"] is decoding["key_check"] is decoding["value_check"] is True
    assert decoding["engine"].startswith("xgrammar ") and "starts closing instead" in decoding["stop"]
    assert read_run(path).mode == "constrained + spans + key check + value check"


def test_ctrl_c_exits_130_saying_so_in_one_line(capsys, monkeypatch, tmp_path, tickets):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Extractor, "load", interrupted)
    try:
        code, out, err = run_eval(capsys, "--model", "any", "--data", tickets, "--results-dir", tmp_path)
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C left edgejson-eval as a KeyboardInterrupt traceback")
    assert (code, out, err) == (130, "", "edgejson-eval: interrupted\n")


def test_the_provenance_is_the_working_directory_s_repository(capsys, monkeypatch, tmp_path, tiny_model, tickets):
    """The commit a run records is that of the repository it runs in (its results files aside), not maaza's."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(tmp_path / "project")]
    (tmp_path / "project").mkdir()
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "project" / "notes.txt").write_text("v1\n")
    subprocess.run([*git, "add", "notes.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "v1"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    args = ("--model", tiny_model, "--data", tickets, "--limit", "1", "--metric", ROOT / "metrics" / "edgejson")
    provenance = {}
    for folder in ("project", "outside"):
        (tmp_path / folder).mkdir(exist_ok=True)
        monkeypatch.chdir(tmp_path / folder)
        assert run_eval(capsys, *args)[0] == 0
        (path,) = (tmp_path / folder / "results" / tiny_model.name).iterdir()
        provenance[folder] = json.loads(path.read_text())["provenance"]
    assert (provenance["project"]["git_commit"], provenance["project"]["git_dirty"]) == (head, False)
    assert (provenance["outside"]["git_commit"], provenance["outside"]["git_dirty"]) == (None, False)
