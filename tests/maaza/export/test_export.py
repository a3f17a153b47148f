"""``maaza export`` on a tiny Llama with a tiny LoRA adapter, and the onnx engine of ``Extractor``, ``maaza extract``
and ``edgejson-eval``: fp32 ONNX decodes token for token as torch, alone or batched; int4 builds and runs; guidance
follows schemas."""

import json
import shutil
import sys
from dataclasses import replace

import jsonschema
import pytest
from maaza_tiny import (
    CLOSED_SCHEMA,
    SENSOR_SCHEMA,
    TAUGHT,
    TEXTS,
    export_taught_model,
    run_command,
    save_tiny_adapter,
    save_tiny_model,
)

from edgejson import build_messages
from maaza import Decoding, Extractor, harness
from maaza.adapters import adapter_hash
from maaza.cli import main
from maaza.evaluation.results import read_run
from maaza.evaluation.selection import headline
from maaza.export.build import check_loads
from maaza.export.info import ExportError, folder_mb
from maaza.inference.onnx_engine import OnnxModel

pytest.importorskip("onnxruntime_genai")
HIDDEN = 64  # ONNX Runtime's attention wants heads of a multiple of 16 values: 4 heads of 16


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A tiny base, a LoRA adapter on it, and ``maaza export`` of the two at fp32 and int4 (block size 16)."""
    root = tmp_path_factory.mktemp("export")
    base = save_tiny_model(root / "base", hidden=HIDDEN)
    adapter = save_tiny_adapter(base, root / "tiny-adapter", base)
    argv = ["export", "--model", base, "--adapter", adapter, "--out", root / "out", "--block-size", "16"]
    assert main([*map(str, argv), "--precision", "fp32", "int4"]) == 0
    return base, adapter, root / "out"


def test_export_writes_merged_model_and_a_carded_folder_per_precision(exported):
    base, adapter, out = exported
    assert (out / "merged" / "config.json").is_file() and (out / "merged" / "model.safetensors").is_file()
    for precision in ("fp32", "int4"):
        folder = out / precision
        assert {"genai_config.json", "model.onnx", "tokenizer.json"} <= {p.name for p in folder.iterdir()}
        info = json.loads((folder / "export_info.json").read_text())
        assert info["precision"] == precision and info["base"] == str(base) and info["adapter"] == str(adapter)
        assert info["adapter_sha256"] == adapter_hash(adapter) and info["size_mb"] == folder_mb(folder) > 0
        card = (folder / "README.md").read_text()
        assert all(part in card for part in (str(base), adapter_hash(adapter), precision, "import onnxruntime_genai"))
        assert f'--include "onnx/{precision}/*"' in card  # where the folder lies in the model repo
    assert json.loads((out / "int4" / "export_info.json").read_text())["quantization"]["block_size"] == 16
    assert json.loads((out / "fp32" / "export_info.json").read_text())["quantization"] is None


def test_fp32_onnx_decodes_token_for_token_as_torch(exported):
    base, adapter, out = exported
    torch_engine = Extractor.load(base, adapter=adapter)
    onnx_engine = Extractor.load(out / "fp32", decoding=Decoding(engine="onnx"))
    assert (onnx_engine.engine, onnx_engine.precision, torch_engine.precision) == ("onnx", "fp32", "fp32")
    requests = [(CLOSED_SCHEMA, text) for text in TEXTS]
    assert [onnx_engine.prompt_ids(*r) for r in requests] == [torch_engine.prompt_ids(*r) for r in requests]
    assert [onnx_engine.budget(*r) for r in requests] == [torch_engine.budget(*r) for r in requests]
    budgets = [torch_engine.budget(*requests[0]), 40, 40]  # the first ends at EOS, the others at their budget
    expected = torch_engine.generate(requests, max_new_tokens=budgets, batch_size=2)
    assert len({len(onnx_engine.prompt_ids(*r)) for r in requests}) == 3  # one batch pads two prompts of three
    for batch_size in (1, 3):
        got = onnx_engine.generate(requests, max_new_tokens=budgets, batch_size=batch_size)
        assert [(g.raw, g.new_tokens, g.stop) for g in got] == [(g.raw, g.new_tokens, g.stop) for g in expected]
    assert [g.stop for g in expected] == ["eos", "budget", "budget"]


def test_onnx_batches_only_prompts_it_can_pad_and_guides_one_at_a_time(exported):
    model = OnnxModel(exported[2] / "fp32")
    pad = model.pad_token_id
    assert model.can_batch([[5, 6, 7], [5, pad, 8]]) and not model.can_batch([[5, 6, 7], [5, 6, pad]])
    with pytest.raises(ValueError, match=f"ends with the pad token {pad}"):
        model.generator([[5, 6, 7], [5, 6, pad]], max_length=10)
    with pytest.raises(ValueError, match="one prompt at a time"):
        model.generator([[5, 6, 7], [5, 6, 8]], max_length=10, schema=CLOSED_SCHEMA)
    assert model.generator([[5, 6, pad]], max_length=10).token_count() == 3  # alone, its last token is a token


def test_int4_builds_and_runs(exported):
    extractor = Extractor.load(exported[2] / "int4", decoding=Decoding(engine="onnx"))
    assert extractor.precision == "int4"
    assert (extractor.batch_size(), extractor.batch_size(3)) == (1, 3)  # one at a time unless asked: the faster
    generations = extractor.generate([(CLOSED_SCHEMA, text) for text in TEXTS], max_new_tokens=20)
    assert all(0 < g.new_tokens <= 20 for g in generations)


def test_constrained_onnx_output_follows_the_schema_in_compact_json(exported):
    extractor = Extractor.load(exported[2] / "int4", decoding=Decoding(constrained=True, engine="onnx"))
    for generation in extractor.generate([(CLOSED_SCHEMA, text) for text in TEXTS]):
        assert generation.stop == "json" and " " not in generation.raw
        jsonschema.validate(generation.output, CLOSED_SCHEMA)


def test_guidance_allows_no_key_the_schema_leaves_unsaid_as_the_torch_grammar(exported):
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}  # additional keys: ok
    extractor = Extractor.load(exported[2] / "int4", decoding=Decoding(constrained=True, engine="onnx"))
    outputs = [g.output for g in extractor.generate([(schema, text) for text in TEXTS])]
    assert all(output is not None and set(output) == {"ok"} for output in outputs)


def test_a_taught_model_gives_its_answer_through_maaza_extract(capsys, tmp_path):
    schema, text, _ = TAUGHT[1]
    _, folder = export_taught_model(tmp_path, build_messages(schema, text), TAUGHT[1][2])
    (tmp_path / "sensor.json").write_text(json.dumps(SENSOR_SCHEMA))
    capsys.readouterr()
    argv = ("extract", "--engine", "onnx", "--model", folder, "--schema", tmp_path / "sensor.json")
    code, printed, err = run_command(capsys, main, *argv, "--text", text, "--compact")
    assert code == 0, err
    assert json.loads(printed) == {"temp": 21.5} and "(onnx fp32)" in err


def test_edgejson_eval_onnx_files_its_run_beside_the_torch_run(capsys, tmp_path, exported):
    base, adapter, out = exported
    data = tmp_path / "tickets.jsonl"
    data.write_text(json.dumps({"text": TEXTS[0], "schema": json.dumps(CLOSED_SCHEMA), "expected_output": "{}"}))
    results = tmp_path / "results"
    common = ("--data", data, "--results-dir", results)
    assert run_command(capsys, harness.main, "--model", base, "--adapter", adapter, *common)[0] == 0
    code, _, err = run_command(capsys, harness.main, "--engine", "onnx", "--model", out / "fp32", *common)
    assert code == 0, err
    torch_file, onnx_file = sorted((results / "tiny-adapter").iterdir(), key=lambda p: len(p.name))
    assert onnx_file.name == torch_file.name.replace(".json", "-onnx-fp32.json")
    torch_run, onnx_run = read_run(torch_file), read_run(onnx_file)
    assert (torch_run.model.engine, torch_run.model.precision) == ("torch", "fp32")
    assert (onnx_run.model.engine, onnx_run.model.precision) == ("onnx", "fp32")
    assert torch_run.decoding["batch_size"] == onnx_run.decoding["batch_size"] == 8
    assert onnx_run.model.size_mb > 0 and onnx_run.model.adapter_sha256 == torch_run.model.adapter_sha256
    assert onnx_run.model.parameters == torch_run.model.parameters
    assert [e["raw_output"] for e in onnx_run.examples] == [e["raw_output"] for e in torch_run.examples]
    assert "onnxruntime-genai" in onnx_run.provenance["libraries"] and onnx_run.label == "tiny-adapter (onnx fp32)"
    on_split = [replace(run, dataset=replace(run.dataset, split="test")) for run in (torch_run, onnx_run)]
    assert list(headline(on_split)) == [("tiny-adapter", "test", "greedy")]  # the model card's runs: torch only
    assert {key[0] for key in headline(on_split, engines=None)} == {"tiny-adapter", "tiny-adapter (onnx fp32)"}
    onnx_with_adapter = ("--engine", "onnx", "--model", out / "fp32", "--adapter", adapter)
    code, _, err = run_command(capsys, harness.main, *onnx_with_adapter, *common)
    assert code == 2 and "give no --adapter" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--adapter", "{root}/nowhere"], "no LoRA adapter at"),
        (["--adapter", "{adapter}", "--precision", "int3"], "invalid choice: 'int3'"),
        (["--adapter", "{adapter}", "--model", "{root}/nowhere"], "unknown model"),
        (["--adapter", "{adapter}", "--precision", "int8"], "invalid choice: 'int8'"),
    ],
)
def test_export_errors_exit_2_saying_why(capsys, exported, argv, message):
    base, adapter, out = exported
    filled = [arg.format(root=out.parent, adapter=adapter, base=base) for arg in argv]
    code, _, err = run_command(capsys, main, "export", "--out", out.parent / "failed", *filled)
    assert code == 2 and message in err, err


def test_a_build_onnx_runtime_cannot_load_is_an_export_error(exported, tmp_path):
    """What the builder wrote is loaded before it is kept: a broken model.onnx fails the export, saying why."""
    broken = shutil.copytree(exported[2] / "int4", tmp_path / "int4")
    (broken / "model.onnx").write_bytes(b"not an ONNX model")
    with pytest.raises(ExportError, match="the builder wrote a model ONNX Runtime cannot load: "):
        check_loads(broken, "the builder wrote a model ONNX Runtime cannot load")


def test_without_onnxruntime_genai_export_and_the_engine_say_how_to_install_it(capsys, monkeypatch, exported):
    monkeypatch.setitem(sys.modules, "onnxruntime_genai", None)
    base, adapter, out = exported
    argv = ("export", "--model", base, "--adapter", adapter, "--out", out.parent / "none")
    code, _, err = run_command(capsys, main, *argv)
    assert code == 2 and "onnxruntime-genai is not installed: pip install 'edgejson-maaza[edge]'" in err
    with pytest.raises(ExportError, match="onnxruntime-genai is not installed"):
        Extractor.load(out / "fp32", decoding=Decoding(engine="onnx"))


def test_the_onnx_engine_refuses_what_it_cannot_load(exported):
    base, adapter, out = exported
    with pytest.raises(ValueError, match="not an ONNX Runtime GenAI folder"):
        Extractor.load(base, decoding=Decoding(engine="onnx"))
    with pytest.raises(ValueError, match="its adapter merged in"):
        Extractor.load(out / "fp32", adapter=adapter, decoding=Decoding(engine="onnx"))
    with pytest.raises(ValueError, match="unknown engine 'tflite'"):
        Extractor.load(base, decoding=Decoding(engine="tflite"))
