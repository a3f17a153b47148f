"""Smoke tests on the real SmolLM2-135M-Instruct base (fetched from PyPI and converted on first use)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from trl import apply_chat_template

from edgejson import build_prompt
from maaza import BASES, DEFAULT_BASE, Extractor

pytestmark = pytest.mark.slow
DATA_DIR = Path(__file__).resolve().parents[2] / "edgejson_dataset" / "data"
DATA = [json.loads(line) for path in sorted(DATA_DIR.rglob("*.jsonl")) for line in path.open(encoding="utf-8")]


@pytest.fixture(scope="module")
def smollm2():
    return Extractor.load(DEFAULT_BASE)


def test_maaza_extract_prints_json_on_a_fresh_checkout():
    text = "Reach Ana Diaz at ana@diaz.dev or +34 600 123 456; she is CTO at Nimbus Labs."
    done = subprocess.run(
        [sys.executable, "-m", "maaza.cli", "extract", "--schema", "contact_info", "--text", text],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr
    assert isinstance(json.loads(done.stdout), dict)


def test_the_converted_base_matches_the_registry(smollm2):
    assert smollm2.model.num_parameters() == BASES[DEFAULT_BASE].parameters
    assert "quantization_config" not in smollm2.model.config.to_dict()


def test_prompts_are_token_for_token_those_trl_trains_on(smollm2):
    tokenizer = smollm2.tokenizer
    for row in DATA[:: len(DATA) // 20]:
        example = {
            "prompt": build_prompt(row),
            "completion": [{"role": "assistant", "content": row["expected_output"]}],
        }
        rendered = apply_chat_template(example, tokenizer)
        prompt = smollm2.prompt_ids(json.loads(row["schema"]), row["text"])
        assert tokenizer.decode(prompt) == rendered["prompt"]
        full = tokenizer(rendered["prompt"] + rendered["completion"], add_special_tokens=False)["input_ids"]
        assert full[: len(prompt)] == prompt  # no token merges across the prompt/answer boundary


def test_the_budget_covers_every_answer_in_the_dataset(smollm2):
    for row in DATA:
        budget = smollm2.budget(json.loads(row["schema"]), row["text"])
        assert len(smollm2.tokenizer(row["expected_output"])["input_ids"]) <= budget, row["id"]
