"""``maaza export --precision q4`` on a tiny Llama whose weights lie on a GGUF grid (Q4_1 layers, Q8_0 tied
vocabulary, as SmolLM2's GGUF): the build decodes as PyTorch does with the adapter attached, where the builder's
int4 of the merged model does not; a base off the grid is refused with a message that says so."""

import json

import pytest
import torch
from maaza_tiny import CLOSED_SCHEMA, TEXTS, run_command, save_tiny_adapter, save_tiny_model
from transformers import LlamaForCausalLM

from maaza import Decoding, Extractor
from maaza.adapters import adapter_hash
from maaza.cli import main
from maaza.export.info import folder_mb

pytest.importorskip("onnxruntime_genai")
HIDDEN = 64  # two blocks of 32 per row; ONNX Runtime's attention wants heads of 16 values


def ggml_round(w: torch.Tensor, bits: int) -> torch.Tensor:
    """``w`` [N, K] quantised and de-quantised in blocks of 32 along K as llama.cpp does: Q4_1 (scale and minimum)
    for 4 bits, Q8_0 (scale) for 8; scales and minimums stored in fp16."""
    blocks = w.detach().double().reshape(w.shape[0], -1, 32)
    if bits == 4:
        low, high = blocks.min(-1, keepdim=True).values, blocks.max(-1, keepdim=True).values
        scale = (high - low) / 15
        codes = ((blocks - low) / scale + 0.5).floor().clamp(0, 15)
        rebuilt = scale.half().double() * codes + low.half().double()
    else:
        scale = blocks.abs().max(-1, keepdim=True).values / 127
        rebuilt = scale.half().double() * (blocks / scale).round()
    return rebuilt.reshape(w.shape).float()


@pytest.fixture(scope="module")
def on_grid(tmp_path_factory):
    """A tiny base put on the grids, an adapter on q_proj and v_proj, and its q4 and int4 exports."""
    root = tmp_path_factory.mktemp("grid")
    base = save_tiny_model(root / "base", hidden=HIDDEN)
    model = LlamaForCausalLM.from_pretrained(base)
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, torch.nn.Linear) and name.startswith("model.layers."):
                module.weight.copy_(ggml_round(module.weight, 4))
        model.model.embed_tokens.weight.copy_(ggml_round(model.model.embed_tokens.weight, 8))
    model.save_pretrained(base)
    adapter = save_tiny_adapter(base, root / "tiny-adapter", base)
    argv = ["export", "--model", base, "--adapter", adapter, "--out", root / "out"]
    assert main([*map(str, argv), "--precision", "q4", "int4", "--block-size", "32"]) == 0
    return base, adapter, root


def test_q4_decodes_as_torch_with_the_adapter_attached(on_grid):
    base, adapter, root = on_grid
    torch_engine = Extractor.load(base, adapter=adapter)
    requests = [(CLOSED_SCHEMA, text) for text in TEXTS]
    expected = torch_engine.generate(requests, max_new_tokens=30)
    q4 = Extractor.load(root / "out" / "q4", decoding=Decoding(engine="onnx"))
    assert q4.precision == "q4"
    assert [g.raw for g in q4.generate(requests, max_new_tokens=30)] == [g.raw for g in expected]
    int4 = Extractor.load(
        root / "out" / "int4", decoding=Decoding(engine="onnx")
    )  # the merged model rounded a second time
    assert [g.raw for g in int4.generate(requests, max_new_tokens=30)] != [g.raw for g in expected]


def test_q4_folder_says_what_it_holds(on_grid):
    base, adapter, root = on_grid
    folder = root / "out" / "q4"
    info = json.loads((folder / "export_info.json").read_text())
    assert info["precision"] == "q4" and all(w in info["quantization"]["grid"] for w in ("Q4_1", "Q8_0", "unmerged"))
    assert info["size_mb"] == folder_mb(folder) and info["adapter_sha256"] == adapter_hash(adapter)
    assert 0 < info["model_mb"] <= info["size_mb"]  # the folder adds the tokenizer
    card = (folder / "README.md").read_text()
    assert "unmerged" in card and str(adapter) in card and '--include "onnx/q4/*"' in card
    assert f"the model and its weights: {info['model_mb']} MB" in card


def test_a_base_off_the_grid_is_refused(tmp_path, capsys):
    base = save_tiny_model(tmp_path / "base", hidden=HIDDEN)
    adapter = save_tiny_adapter(base, tmp_path / "adapter", base)
    code, _, err = run_command(
        capsys, main, "export", "--model", base, "--adapter", adapter, "--out", tmp_path / "out", "--precision", "q4"
    )
    assert code == 2
    assert "not on a grid of blocks of 32" in err and "use the int4 precision instead" in err
    assert not (tmp_path / "out" / "q4" / "model.onnx").exists()
