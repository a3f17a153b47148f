"""The notebooks run top to bottom on small settings (a tiny local model, a few steps) and are committed bare."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from tiny_models import save_tiny_model

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local model folder: a 2-layer Llama, random weights, a byte-level BPE tokenizer trained on a few rows."""
    rows = (ROOT / "edgejson_dataset/data/test.jsonl").read_text(encoding="utf-8").splitlines()[:40]
    corpus = [text for row in map(json.loads, rows) for text in (row["text"], row["schema"], row["expected_output"])]
    return save_tiny_model(
        tmp_path_factory.mktemp("tiny-model"), corpus, vocab_size=600, num_attention_heads=2, num_key_value_heads=1
    )


def test_notebooks_are_committed_without_outputs() -> None:
    names = sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))
    assert names == ["finetune_new_schema.ipynb", "quickstart.ipynb"]
    for name in names:
        notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(notebook)
        for i, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{name}: cell {i} has outputs"


@pytest.mark.parametrize(
    "name",
    ["quickstart.ipynb", "finetune_new_schema.ipynb"],
)
def test_notebook_runs_top_to_bottom(name: str, tiny_model: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MAAZA_NOTEBOOK_MODEL", str(tiny_model))
    monkeypatch.setenv("MAAZA_NOTEBOOK_ADAPTER", "")
    monkeypatch.setenv("MAAZA_NOTEBOOK_MAX_STEPS", "2")
    monkeypatch.setenv("MAAZA_NOTEBOOK_EDGEJSON_ROWS", "8")
    monkeypatch.setenv("MAAZA_NOTEBOOK_OUTPUT", str(tmp_path / "out"))
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    resources = {"metadata": {"path": str(NOTEBOOKS)}}  # run from notebooks/, as Jupyter does
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources=resources).execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    if name == "quickstart.ipynb":  # the leaderboard plot was drawn
        assert any(out.output_type == "display_data" and "image/png" in out.get("data", {}) for out in outputs)
    else:  # the adapter was trained and saved
        assert (tmp_path / "out/adapter/adapter_config.json").is_file()
