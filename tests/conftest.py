"""Test-suite-wide setup: the Hugging Face libraries offline, and the tiny training run that the training, curve and
model card tests share (``tiny_dataset``, ``tiny_base``, ``trained``).

A conftest in a folder without ``__init__.py``: pytest (prepend import mode) puts this folder on ``sys.path``, which is
how the tests import ``tiny_models``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

for _name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_name, "1")

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "city": {"type": "string"}},
    "required": ["name", "age"],
}
NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Linus", "Margaret", "Dennis", "Frances"]
CITIES = ["Paris", "Lima", "Oslo", "Kyoto", "Quito"]


def _rows(count: int, offset: int) -> list[dict[str, str]]:
    rows = []
    for i in range(offset, offset + count):
        answer = {"name": NAMES[i % len(NAMES)], "age": 20 + i}
        text = f"{answer['name']} is {answer['age']} years old."
        if i % 2:
            answer["city"] = CITIES[i % len(CITIES)]
            text += f" Lives in {answer['city']}."
        rows.append(
            {
                "id": f"row-{i}",
                "schema_id": "person",
                "complexity": "simple",
                "style": "prose",
                "text": text,
                "schema": json.dumps(SCHEMA),
                "expected_output": json.dumps(answer, separators=(",", ":")),
            }
        )
    return rows


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    """A dataset folder that ``load_dataset`` reads: train (16 rows) and validation (4 rows)."""
    folder = tmp_path_factory.mktemp("tiny_dataset")
    (folder / "data").mkdir()
    for split, count, offset in (("train", 16, 0), ("validation", 4, 100)):
        lines = [json.dumps(row) for row in _rows(count, offset)]
        (folder / "data" / f"{split}.jsonl").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory, tiny_dataset) -> Path:
    """A local model folder: a 2-layer Llama, random weights, a byte-level BPE tokenizer with a ChatML template."""
    from tiny_models import save_tiny_model

    from edgejson import SYSTEM_PROMPT, build_prompt

    corpus = [SYSTEM_PROMPT, *(m["content"] for r in _rows(20, 0) for m in build_prompt(r)), '{}[]:,"0123456789']
    return save_tiny_model(tmp_path_factory.mktemp("tiny_base"), corpus, max_position_embeddings=1024)


@pytest.fixture(scope="session")
def trained(tmp_path_factory, tiny_base, tiny_dataset) -> Path:
    """Run the script as a user would (a subprocess) on a tiny recipe; return the adapter folder."""
    tmp = tmp_path_factory.mktemp("trained")
    from tiny_models import tiny_recipe

    tiny_recipe(
        tmp / "recipe.yaml",
        tiny_base,
        tiny_dataset,
        adapter_dir=str(tmp / "adapter"),
        output_dir=str(tmp / "run"),
        lora_dropout=None,
        lora_target_modules=["q_proj", "v_proj"],
        per_device_eval_batch_size=None,
        max_steps=2,
        eval_steps=1,
        save_strategy=None,
        save_steps=1,
        logging_steps=None,
        seed=None,
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "maaza_models" / "train.py"), "--config", str(tmp / "recipe.yaml"), "--seed", "3"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Adapter saved in" in done.stdout
    return tmp / "adapter"
