"""The tiny recipe of the training tests (the tiny dataset, base and trained adapter: tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml


@pytest.fixture
def recipe(tmp_path, tiny_base, tiny_dataset):
    """Write a tiny recipe (overridable fields) to tmp and return its path."""

    def write(**overrides) -> Path:
        fields = {
            "model_name_or_path": str(tiny_base),
            "use_peft": True,
            "lora_r": 4,
            "lora_alpha": 8,
            "lora_dropout": 0.0,
            "lora_target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"],
            "dataset_name": str(tiny_dataset),
            "adapter_dir": str(tmp_path / "adapter"),
            "output_dir": str(tmp_path / "run"),
            "max_length": 256,
            "learning_rate": 1e-3,
            "per_device_train_batch_size": 4,
            "per_device_eval_batch_size": 4,
            "max_steps": 4,
            "eval_strategy": "steps",
            "eval_steps": 2,
            "save_strategy": "steps",
            "save_steps": 2,
            "load_best_model_at_end": True,
            "metric_for_best_model": "eval_loss",
            "logging_steps": 1,
            "activation_checkpointing": False,
            "bf16": False,
            "report_to": "none",
            "seed": 0,
        }
        fields.update(overrides)
        fields = {k: v for k, v in fields.items() if v is not None}
        path = tmp_path / "recipe.yaml"
        path.write_text(yaml.safe_dump(fields))
        return path

    return write
