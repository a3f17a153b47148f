"""Train Maaza LoRA adapters on EdgeJSON with TRL's SFTTrainer: data, resume, the saved adapter and its
``training_info.json`` (the recipe is read and checked in ``maaza.recipes``).

Usage: ``python maaza_models/train.py --config maaza_models/recipes/maaza-mlm-135m-json.yaml`` (the script parses
the recipe with ``maaza.recipes.recipe_parser`` and calls :func:`train`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from datasets import Dataset, concatenate_datasets, load_dataset
from peft import set_peft_model_state_dict
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from transformers.trainer_callback import ExportableState
from transformers.trainer_utils import get_last_checkpoint
from trl import ModelConfig, SFTConfig, SFTTrainer, get_peft_config

from edgejson import build_prompt
from maaza.adapters import AdapterError, adapter_hash, check_weights, read_adapter_config
from maaza.bases import BASES, BaseModelError, resolve_base
from maaza.machine import machine
from maaza.recipes import RecipeError, ScriptArguments, check_recipe

ROW_COLUMNS = ("schema", "text", "expected_output")


def to_prompt_completion(row: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """An EdgeJSON row as a conversational prompt-completion example: the canonical prompt, then the JSON answer."""
    return {
        "prompt": build_prompt(row),
        "completion": [{"role": "assistant", "content": row["expected_output"]}],
    }


def load_splits(script_args: ScriptArguments) -> tuple[Dataset, Dataset]:
    """The train and eval splits as prompt-completion datasets (a split may be sliced: ``validation[:64]``).

    An unknown split or a row without ``schema``, ``text`` or ``expected_output`` is a :class:`RecipeError`.
    """
    out = []
    configs = script_args.dataset_configs
    for key, key_configs in (("dataset_train_split", configs), ("dataset_eval_split", configs[:1])):
        split = getattr(script_args, key)
        parts = []
        for config in key_configs:
            try:
                rows = load_dataset(script_args.dataset_name, config, split=split)
            except ValueError as err:  # datasets names the configs and splits there are
                raise RecipeError(f"{key} = {split!r}: {err} (config {config!r})") from None
            missing = [c for c in ROW_COLUMNS if c not in rows.column_names]
            if missing:
                raise RecipeError(f"split {split!r} of {config!r} lacks column(s) {', '.join(missing)}")
            parts.append(rows.map(to_prompt_completion, remove_columns=rows.column_names))
        out.append(concatenate_datasets(parts))
    return out[0], out[1]


def locate_base(name: str) -> tuple[str, str]:
    """Where a base loads from (fetched on first use) and the name its adapters record: the Hub id when known."""
    try:
        location = resolve_base(name)
    except BaseModelError as err:
        raise RecipeError(f"model_name_or_path: {err}") from None
    return location, BASES[name].hub_id if name in BASES else location


class CompletionHeadSFTTrainer(SFTTrainer):
    """SFTTrainer whose loss sends only the answer positions through the LM head, on every device.

    TRL's fused LM head scores only the labelled positions on CUDA and XPU; elsewhere (the CPU) it scores every
    position, prompt and padding included, over the whole vocabulary, which doubles the time of a CPU step
    (``scripts/bench_train.py``). Here the model runs once for its last hidden states and the head projects the
    positions that have a label; the loss is the same token-level cross-entropy, normalised as TRL does.
    """

    init_adapter: dict[str, Any] | None = None  # a second stage: the init_adapter_record of the run it started from

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs["labels"][:, 1:]
        mask = labels != -100
        model_inputs = {k: v for k, v in inputs.items() if k != "labels"}
        outputs = model(**model_inputs, use_cache=False, output_hidden_states=True, logits_to_keep=1)
        head = self.accelerator.unwrap_model(model).get_output_embeddings()
        logits = head(outputs.hidden_states[-1][:, :-1][mask]).float()
        targets = labels[mask]
        count = mask.sum() if num_items_in_batch is None else num_items_in_batch
        loss = F.cross_entropy(logits, targets, reduction="sum") / torch.as_tensor(count).clamp(min=1)
        if self.args.average_tokens_across_devices and num_items_in_batch is not None:
            loss = loss * self.accelerator.num_processes  # DDP averages gradients; the count spans every rank
        mode = "train" if model.training else "eval"
        accuracy = (logits.argmax(-1) == targets).float().mean().item() if targets.numel() else 0.0
        self._metrics[mode]["mean_token_accuracy"].append(accuracy)
        return (loss, outputs) if return_outputs else loss


class WallClock(TrainerCallback, ExportableState):
    """Seconds spent training, summed over a run, the runs it resumed and its ``init_adapter``'s run (kept in every
    checkpoint)."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self._start: float | None = None
        self._before = seconds

    def on_train_begin(self, args, state, control, **kwargs):
        self._start, self._before = time.perf_counter(), self.seconds

    def on_step_end(self, args, state, control, **kwargs):
        self.seconds = self._before + time.perf_counter() - self._start

    on_train_end = on_step_end

    def state(self) -> dict[str, Any]:
        return {"args": {"seconds": self.seconds}, "attributes": {}}


def read_init_adapter(script_args: ScriptArguments, model_args: ModelConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """The weights of the recipe's ``init_adapter`` and its :func:`init_adapter_record`; :class:`RecipeError` when it
    is missing, unreadable, or has other LoRA fields than the recipe."""
    folder = Path(script_args.init_adapter)
    try:
        config = read_adapter_config(folder)
        weights = load_file(check_weights(folder))
    except AdapterError as err:
        raise RecipeError(f"init_adapter: {err}") from None
    if not (folder / "training_info.json").is_file():
        raise RecipeError(f"init_adapter: {folder} has no training_info.json, so its training minutes are unknown")
    for name, theirs, ours in (
        ("lora_r", config.get("r"), model_args.lora_r),
        ("lora_alpha", config.get("lora_alpha"), model_args.lora_alpha),
        ("lora_target_modules", sorted(config.get("target_modules") or []), sorted(model_args.lora_target_modules)),
    ):
        if theirs != ours:
            raise RecipeError(f"init_adapter: {folder} has {name} = {theirs!r}, the recipe {ours!r}")
    return weights, init_adapter_record(script_args.init_adapter)


def build_trainer(
    script_args: ScriptArguments,
    training_args: SFTConfig,
    model_args: ModelConfig,
    callbacks: list[TrainerCallback] | None = None,
) -> CompletionHeadSFTTrainer:
    """Check the recipe, load base and data, and return the SFTTrainer with a LoRA model and tokenized splits."""
    check_recipe(script_args, training_args, model_args)
    train_dataset, eval_dataset = load_splits(script_args)
    location, recorded_name = locate_base(model_args.model_name_or_path)
    tokenizer = AutoTokenizer.from_pretrained(location)
    model = AutoModelForCausalLM.from_pretrained(
        location, dtype=model_args.dtype, attn_implementation=model_args.attn_implementation
    )
    # PEFT writes this name into adapter_config.json: the Hub id lets PeftModel.from_pretrained find the base.
    model.name_or_path = model.config.name_or_path = recorded_name
    training_args.restore_callback_states_from_checkpoint = True
    init_weights, init = read_init_adapter(script_args, model_args) if script_args.init_adapter else ({}, None)
    trainer = CompletionHeadSFTTrainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        peft_config=get_peft_config(model_args),
        callbacks=[WallClock(init["train_seconds"] if init else 0.0), *(callbacks or [])],
    )
    trainer.init_adapter = init  # read before this run could change it
    if init:
        weights = {name: tensor.float() for name, tensor in init_weights.items()}
        loaded = set_peft_model_state_dict(trainer.model, weights)
        if loaded.unexpected_keys:
            raise RecipeError(f"init_adapter: weights the model lacks: {', '.join(loaded.unexpected_keys[:5])}")
    return trainer


def train(
    script_args: ScriptArguments,
    training_args: SFTConfig,
    model_args: ModelConfig,
    callbacks: list[TrainerCallback] | None = None,
) -> Path:
    """Train (resuming from the last checkpoint in output_dir if any), keep the best checkpoint, save the adapter.

    Returns ``adapter_dir``, which then holds ``adapter_model.safetensors``, ``adapter_config.json`` and
    ``training_info.json``.
    """
    trainer = build_trainer(script_args, training_args, model_args, callbacks)
    output_dir = training_args.output_dir
    last = get_last_checkpoint(output_dir) if os.path.isdir(output_dir) else None
    if last:
        print(f"Resuming from {last}")
    result = trainer.train(resume_from_checkpoint=last)
    trainer.save_model(output_dir)
    adapter_dir = Path(script_args.adapter_dir)
    if trainer.is_world_process_zero():
        adapter_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(output_dir) / "adapter_config.json", adapter_dir / "adapter_config.json")
        weights = load_file(Path(output_dir) / "adapter_model.safetensors")
        dtype = getattr(torch, script_args.adapter_dtype)
        weights = {name: tensor.to(dtype) for name, tensor in weights.items()}
        save_file(weights, adapter_dir / "adapter_model.safetensors", metadata={"format": "pt"})
        info = training_info(trainer, script_args, model_args, result.metrics, last)
        (adapter_dir / "training_info.json").write_text(json.dumps(info, indent=2) + "\n")
    return adapter_dir


def init_adapter_record(folder: str) -> dict[str, Any]:
    """What a second stage's ``training_info.json`` says of the adapter it started from."""
    info = json.loads((Path(folder) / "training_info.json").read_text(encoding="utf-8"))
    return {
        "path": folder,
        "sha256": adapter_hash(folder),
        "steps": info["steps"],
        "rows_seen": info["steps"] * info["hyperparameters"]["total_batch_size"],
        "train_seconds": info["train_seconds"],
    }


def split_fingerprint(dataset_name: str, split: str, configs: list[str] | None = None) -> str:
    """SHA-256 (first 16 hex digits) over a split's rows in ``configs`` (default: the default config), in order:
    which data a run trained on, whatever its origin."""
    digest = hashlib.sha256()
    for config in configs or ["default"]:
        for row in load_dataset(dataset_name, config, split=split):
            digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()[:16]


def _split_record(dataset: str, split: str, configs: list[str], rows: int) -> dict[str, Any]:
    """One split a run used: its configs, name, rows and fingerprint (:func:`split_fingerprint`)."""
    return {"configs": configs, "split": split, "rows": rows, "sha256": split_fingerprint(dataset, split, configs)}


def _hyperparameters(trainer: SFTTrainer, model_args: ModelConfig) -> dict[str, Any]:
    """The optimiser, schedule, batch, precision and LoRA settings of a run."""
    args = trainer.args
    return {
        "learning_rate": args.learning_rate,
        "lr_scheduler_type": str(args.lr_scheduler_type.value),
        "warmup_steps": args.warmup_steps,
        "weight_decay": args.weight_decay,
        "num_train_epochs": args.num_train_epochs,
        "max_steps": args.max_steps,
        "per_device_train_batch_size": args.per_device_train_batch_size,
        "gradient_accumulation_steps": args.gradient_accumulation_steps,
        "total_batch_size": args.per_device_train_batch_size * args.gradient_accumulation_steps * args.world_size,
        "max_length": args.max_length,
        "bf16": args.bf16,
        "dtype": model_args.dtype,
        "train_sampling_strategy": args.train_sampling_strategy,
        "completion_only_loss": trainer.completion_only_loss,
        "seed": args.seed,
        "lora_r": model_args.lora_r,
        "lora_alpha": model_args.lora_alpha,
        "lora_dropout": model_args.lora_dropout,
        "lora_target_modules": model_args.lora_target_modules,
    }


def training_info(
    trainer: SFTTrainer,
    script_args: ScriptArguments,
    model_args: ModelConfig,
    metrics: dict[str, float],
    resumed_from: str | None,
) -> dict[str, Any]:
    """What the model card needs about a finished run: data, steps, time, hardware, hyper-parameters, losses."""
    import peft
    import transformers
    import trl

    state, name, configs = trainer.state, script_args.dataset_name, script_args.dataset_configs
    wall = next(cb for cb in trainer.callback_handler.callbacks if isinstance(cb, WallClock))
    return {
        "base_model": trainer.model.peft_config["default"].base_model_name_or_path,
        "dataset": {
            "name": name,
            "train": _split_record(name, script_args.dataset_train_split, configs, len(trainer.train_dataset)),
            "eval": _split_record(name, script_args.dataset_eval_split, configs[:1], len(trainer.eval_dataset)),
        },
        "steps": state.global_step,
        "epochs": round(state.epoch or 0.0, 3),
        "train_seconds": round(wall.seconds, 1),
        "this_run_seconds": round(metrics.get("train_runtime", 0.0), 1),
        "resumed_from": Path(resumed_from).name if resumed_from else None,
        "init_adapter": trainer.init_adapter,
        "train_loss": metrics.get("train_loss"),
        "best_eval_loss": state.best_metric,
        "best_checkpoint": Path(state.best_model_checkpoint).name if state.best_model_checkpoint else None,
        "eval_loss": [
            {"step": log["step"], "eval_loss": log["eval_loss"]} for log in state.log_history if "eval_loss" in log
        ],
        "hyperparameters": _hyperparameters(trainer, model_args),
        "hardware": machine(),
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "trl": trl.__version__,
            "peft": peft.__version__,
        },
    }
