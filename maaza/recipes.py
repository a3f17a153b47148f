"""Training recipes: what a recipe's YAML may say (``ScriptArguments``, TRL's ``SFTConfig`` and ``ModelConfig``), read
as ``maaza_models/train.py`` reads it and checked before anything loads (``RecipeError`` names the field).

Usage: ``script_args, training_args, model_args = read_recipe("maaza_models/recipes/maaza-mlm-135m-json.yaml")``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from trl import ModelConfig, SFTConfig, TrlParser

from maaza.paths import DATASET

ADAPTER_DTYPES = ("float32", "bfloat16")
MIN_MAX_LENGTH = 64


@dataclass
class ScriptArguments:
    """What the recipe trains on and where the released adapter goes (the base is ModelConfig's model_name_or_path)."""

    adapter_dir: str | None = field(
        default=None, metadata={"help": "Folder receiving the final adapter and training_info.json (the release)."}
    )
    dataset_name: str = field(default=str(DATASET), metadata={"help": "Dataset folder or Hub id with EdgeJSON rows."})
    dataset_configs: list[str] = field(
        default_factory=lambda: ["default"],
        metadata={"help": "Configs whose train split is trained on, concatenated (the eval split: the first's)."},
    )
    dataset_train_split: str = field(default="train", metadata={"help": "Split to train on."})
    dataset_eval_split: str = field(default="validation", metadata={"help": "Split for the validation loss."})
    adapter_dtype: str = field(
        default="float32",
        metadata={"help": "Weights saved in adapter_dir: float32 (as trained) or bfloat16 (half the file)."},
    )
    init_adapter: str | None = field(
        default=None,
        metadata={
            "help": "adapter_dir of an earlier run whose weights the LoRA starts from (a second stage of training; "
            "its LoRA fields must be this recipe's). Training minutes then count that run's minutes too."
        },
    )


def recipe_parser() -> TrlParser:
    """The parser of a recipe's three parts; without an accelerator ``use_cpu`` defaults to true, so that a recipe's
    ``bf16: true`` (autocast) runs on a CPU as it does on a GPU."""
    parser = TrlParser((ScriptArguments, SFTConfig, ModelConfig))
    parser.set_defaults(use_cpu=not torch.accelerator.is_available())
    return parser


class RecipeError(ValueError):
    """A recipe that cannot train; the message names the field and what is wrong with it."""


def check_recipe(script_args: ScriptArguments, training_args: SFTConfig, model_args: ModelConfig) -> None:
    """Raise :class:`RecipeError` for a missing field or an impossible value, before anything is loaded."""
    missing = [
        name
        for name, value in (
            ("model_name_or_path", model_args.model_name_or_path),
            ("adapter_dir", script_args.adapter_dir),
            ("lora_target_modules", model_args.lora_target_modules),
            ("max_length", training_args.max_length),
        )
        if value is None
    ]
    if missing:
        raise RecipeError(f"missing required field(s): {', '.join(missing)}")
    if script_args.adapter_dtype not in ADAPTER_DTYPES:
        dtype, allowed = script_args.adapter_dtype, ", ".join(ADAPTER_DTYPES)
        raise RecipeError(f"adapter_dtype = {dtype!r} is impossible: it must be one of {allowed}")
    if not model_args.use_peft:
        raise RecipeError("use_peft must be true: Maaza recipes train LoRA adapters")
    checks = (
        ("learning_rate", training_args.learning_rate, training_args.learning_rate > 0, "> 0"),
        ("lora_r", model_args.lora_r, model_args.lora_r > 0, "> 0"),
        ("lora_alpha", model_args.lora_alpha, model_args.lora_alpha > 0, "> 0"),
        ("lora_dropout", model_args.lora_dropout, 0 <= model_args.lora_dropout < 1, "in [0, 1)"),
        ("max_length", training_args.max_length, training_args.max_length >= MIN_MAX_LENGTH, f">= {MIN_MAX_LENGTH}"),
        (
            "per_device_train_batch_size",
            training_args.per_device_train_batch_size,
            training_args.per_device_train_batch_size >= 1,
            ">= 1",
        ),
        (
            "gradient_accumulation_steps",
            training_args.gradient_accumulation_steps,
            training_args.gradient_accumulation_steps >= 1,
            ">= 1",
        ),
        (
            "num_train_epochs",
            training_args.num_train_epochs,
            training_args.max_steps > 0 or training_args.num_train_epochs > 0,
            "> 0 (or max_steps > 0)",
        ),
    )
    for name, value, ok, rule in checks:
        if not ok:
            raise RecipeError(f"{name} = {value!r} is impossible: it must be {rule}")
    init = script_args.init_adapter
    if init and Path(init).resolve() == Path(script_args.adapter_dir).resolve():
        raise RecipeError("init_adapter must not be adapter_dir: the run would overwrite the weights it starts from")
    if training_args.completion_only_loss is False:
        raise RecipeError("completion_only_loss must not be false: the loss is taken on the JSON answer only")


def read_recipe(path: str | Path) -> tuple[ScriptArguments, SFTConfig, ModelConfig]:
    """A recipe file's three parts, read as ``maaza_models/train.py`` reads them and checked; :class:`RecipeError`
    when it cannot train.

    Usage: ``script_args, training_args, model_args = read_recipe("maaza_models/recipes/maaza-mlm-135m-json.yaml")``
    """
    try:  # TrlParser and SFTConfig raise ValueError for unknown keys and inconsistent settings
        script_args, training_args, model_args = recipe_parser().parse_args_and_config(["--config", str(path)])
    except ValueError as err:
        raise RecipeError(str(err)) from None
    check_recipe(script_args, training_args, model_args)
    return script_args, training_args, model_args
