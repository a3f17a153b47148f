"""``maaza export`` of the released adapter on the real SmolLM2-135M-Instruct base: the fp32 ONNX folder, and the q4
folder that keeps the base on its GGUF grid, decode two validation examples token for token as PyTorch does."""

from pathlib import Path

import pytest

from maaza import DEFAULT_BASE, Extractor
from maaza.export import export
from maaza.harness import load_examples

pytestmark = pytest.mark.slow
pytest.importorskip("onnxruntime_genai")
ADAPTER = Path(__file__).resolve().parents[2] / "maaza_models" / "maaza-mlm-135m-json"


def test_the_released_adapter_in_fp32_and_q4_onnx_answers_as_in_pytorch(tmp_path):
    folders = export(DEFAULT_BASE, ADAPTER, tmp_path, ["fp32", "q4"])
    requests = [(ex["schema"], ex["text"]) for ex in load_examples("validation")[:2]]
    torch_engine = Extractor.load(DEFAULT_BASE, adapter=ADAPTER)
    expected = torch_engine.generate(requests, batch_size=1)
    for folder in folders:
        onnx_engine = Extractor.load(folder, engine="onnx")
        assert [onnx_engine.prompt_ids(*r) for r in requests] == [torch_engine.prompt_ids(*r) for r in requests]
        got = onnx_engine.generate(requests)
        assert [(g.raw, g.stop) for g in got] == [(g.raw, g.stop) for g in expected], folder.name
