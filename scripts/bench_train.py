"""Measure LoRA SFT speed for the choices a recipe makes, interleaved so that a busy, shared CPU slows all alike.

Every setting trains one pass over the same rows of the train split through the real training code
(``maaza.training.build_trainer``): the recipe with a few overrides, each measurement in a fresh process (so its
peak memory is its own). Rounds repeat the settings in turn; per setting the median time, its ratio to the reference
measured in the same run, the real (unpadded) tokens per second, the peak RSS, the base model's validation loss under
that setting (a check that lower precision keeps the loss sane) and the time one epoch of the train split would take
at that speed are printed.

Usage: python scripts/bench_train.py [--recipe RECIPE.yaml] [--rows 16] [--rounds 2] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from datasets import load_dataset
from transformers import AutoTokenizer, TrainerCallback
from trl import ModelConfig, SFTConfig, SFTTrainer

from maaza.machine import machine
from maaza.recipes import ScriptArguments, recipe_parser
from maaza.training import CompletionHeadSFTTrainer, build_trainer, locate_base, to_prompt_completion

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "maaza_models" / "recipes" / "maaza-mlm-135m-json.yaml"
ATTENTION = ["q_proj", "k_proj", "v_proj", "o_proj"]
ALL_LINEAR = [*ATTENTION, "gate_proj", "up_proj", "down_proj"]
UPPER_HALF = [r"model\.layers\.(1[5-9]|2[0-9])\..*_proj"]  # one string: a regex (PEFT); layers 15-29 of SmolLM2's 30

# The reference: fp32, attention-only LoRA without dropout, random batch order (padded to their longest row), the
# answer-only head.
REFERENCE = {
    "lora_dropout": 0.0,
    "bf16": False,
    "dtype": "float32",
    "activation_checkpointing": False,
    "train_sampling_strategy": "random",
    "packing": False,
    "lora_target_modules": ATTENTION,
}
# name -> what changes from the reference; the recipe itself, as written, is measured last.
SETTINGS: dict[str, dict] = {
    "reference: fp32, attention LoRA, random order": {},
    "TRL's own LM head (every position on CPU)": {"trl_head": True},
    "bf16 autocast": {"bf16": True},
    "LoRA dropout 0.05": {"lora_dropout": 0.05},
    "bf16 weights, fp32 LoRA": {"dtype": "bfloat16"},
    "activation checkpointing": {"activation_checkpointing": True},
    "group_by_length": {"train_sampling_strategy": "group_by_length"},
    "packing (best-fit, 1024-token bins)": {"packing": True},
    "LoRA attention + MLP": {"lora_target_modules": ALL_LINEAR},
    "LoRA attention + MLP, layers 15-29 only": {"lora_target_modules": UPPER_HALF},
}


class _Clock(TrainerCallback):
    """Wall time from the first step's start to the last step's end (setup and data preparation excluded)."""

    def on_step_begin(self, args, state, control, **kwargs):
        if state.global_step == 0:
            self.start = time.perf_counter()

    def on_train_end(self, args, state, control, **kwargs):
        self.seconds = time.perf_counter() - self.start


def _parse(recipe: Path, fields: dict | None = None) -> tuple[ScriptArguments, SFTConfig, ModelConfig]:
    argv = ["--config", str(recipe)]
    for key, value in (fields or {}).items():
        argv += [f"--{key}", *map(str, value)] if isinstance(value, list) else [f"--{key}", str(value)]
    return recipe_parser().parse_args_and_config(argv)


def measure(recipe: Path, overrides: dict, data_dir: Path) -> dict:
    """Train one pass over the rows in ``data_dir`` with the recipe plus ``overrides``; time, tokens and losses."""
    if overrides.pop("trl_head", False):  # this process only: the loss of TRL's SFTTrainer instead of ours
        CompletionHeadSFTTrainer.compute_loss = SFTTrainer.compute_loss
    with tempfile.TemporaryDirectory() as out:
        fields = {
            **overrides,
            "dataset_name": str(data_dir),
            "dataset_configs": ["default"],  # the rows written to data_dir, whatever mix the recipe trains on
            "output_dir": out,
            "adapter_dir": f"{out}/adapter",
            "max_steps": 1,  # set below to one pass over the prepared (maybe packed) rows
            "eval_strategy": "no",
            "save_strategy": "no",
            "load_best_model_at_end": False,
            "logging_steps": 1,
            "disable_tqdm": True,
        }
        clock = _Clock()
        trainer = build_trainer(*_parse(recipe, fields), callbacks=[clock])
        trainer.args.max_steps = math.ceil(len(trainer.train_dataset) / trainer.args.per_device_train_batch_size)
        base_eval_loss = trainer.evaluate()["eval_loss"]
        trainer.train()
    return {
        "seconds": clock.seconds,
        "steps": trainer.state.global_step,
        "tokens": sum(len(ids) for ids in trainer.train_dataset["input_ids"]),
        "base_eval_loss": base_eval_loss,
        "train_loss": trainer.state.log_history[-1]["train_loss"],
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }


def _measure_in_subprocess(recipe: Path, overrides: dict, data_dir: Path) -> dict | None:
    """One measurement in a fresh process; None (with the error printed) when the setting fails."""
    job = json.dumps({"recipe": str(recipe), "overrides": overrides, "data_dir": str(data_dir)})
    done = subprocess.run(
        [sys.executable, __file__, "--measure", job], capture_output=True, text=True, check=False, cwd=ROOT
    )
    if done.returncode != 0:
        print(f"  FAILED {overrides}:\n{done.stderr[-1500:]}", flush=True)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _train_split_lengths(recipe: Path) -> tuple[np.ndarray, np.ndarray]:
    """Token counts (prompt + answer, and answer) of every train row, as TRL renders them with the chat template."""
    script_args, _, model_args = _parse(recipe)
    tokenizer = AutoTokenizer.from_pretrained(locate_base(model_args.model_name_or_path)[0])
    totals, answers = [], []
    for row in load_dataset(script_args.dataset_name, split=script_args.dataset_train_split):
        example = to_prompt_completion(row)
        prompt = tokenizer.apply_chat_template(example["prompt"], add_generation_prompt=True)["input_ids"]
        full = tokenizer.apply_chat_template(example["prompt"] + example["completion"])["input_ids"]
        totals.append(len(full))
        answers.append(len(full) - len(prompt))
    return np.array(totals), np.array(answers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", type=Path, default=RECIPE)
    parser.add_argument("--rows", type=int, default=16, help="train rows every setting trains on (one pass)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="settings to run besides the reference and the recipe (substring)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # one measurement, in a child process
    args = parser.parse_args()
    if args.measure:
        job = json.loads(args.measure)
        print(json.dumps(measure(Path(job["recipe"]), job["overrides"], Path(job["data_dir"]))))
        return

    script_args, training_args, _ = _parse(args.recipe)
    batch = training_args.per_device_train_batch_size
    if args.rows % batch:
        parser.error(f"--rows must be a multiple of the recipe's batch size ({batch})")
    settings = {
        name: {**REFERENCE, **overrides}
        for i, (name, overrides) in enumerate(SETTINGS.items())
        if i == 0 or not args.only or any(part in name for part in args.only)
    }
    settings[f"recipe as written ({args.recipe.stem})"] = {}

    totals, answers = _train_split_lengths(args.recipe)
    print(f"Machine: {json.dumps(machine())}")
    print(
        f"Train split: {len(totals)} rows, {totals.sum():,} tokens ({answers.sum():,} in answers); per row p50 "
        f"{np.median(totals):.0f}, p90 {np.percentile(totals, 90):.0f}, max {totals.max()}; answers p50 "
        f"{np.median(answers):.0f}, max {answers.max()}"
    )
    for limit in (512, 768, 1024):
        print(
            f"  max_length {limit:>4}: {(totals > limit).sum():>4} rows truncated, {(answers > limit).sum()} answers"
        )

    rows = load_dataset(script_args.dataset_name, split=script_args.dataset_train_split).shuffle(seed=0)
    with tempfile.TemporaryDirectory() as data_dir:
        (Path(data_dir) / "data").mkdir()
        rows.select(range(args.rows)).to_json(Path(data_dir) / "data" / "train.jsonl")
        rows.select(range(args.rows, args.rows + batch)).to_json(Path(data_dir) / "data" / "validation.jsonl")
        print(
            f"\nEach setting: one pass over the same {args.rows} rows, batch {batch}; {args.rounds} rounds", flush=True
        )
        runs: dict[str, list[dict]] = {name: [] for name in settings}
        for round_ in range(args.rounds):
            for name, overrides in settings.items():
                result = _measure_in_subprocess(args.recipe, overrides, Path(data_dir))
                if result:
                    runs[name].append(result)
                    print(
                        f"  round {round_ + 1}: {name}: {result['seconds']:.1f} s, {result['steps']} steps", flush=True
                    )
        runs = {name: results for name, results in runs.items() if results}

    reference = statistics.median(r["seconds"] for r in runs[next(iter(settings))])
    print(
        f"\n{'setting':<46} {'s (median)':>10} {'vs ref':>7} {'tok/s':>6} {'peak GB':>7} {'base loss':>9}"
        f" {'train loss':>10} {'epoch':>9}"
    )
    for name, results in runs.items():
        seconds = statistics.median(r["seconds"] for r in results)
        speed = results[0]["tokens"] / seconds
        print(
            f"{name:<46} {seconds:>10.1f} {reference / seconds:>6.2f}x {speed:>6.0f} "
            f"{max(r['peak_rss_gb'] for r in results):>7.1f} {results[0]['base_eval_loss']:>9.4f} "
            f"{statistics.mean(r['train_loss'] for r in results):>10.4f} {totals.sum() / speed / 60:>5.0f} min"
        )
    print(
        "vs ref: speed-up over the reference measured in this run; tok/s: real (unpadded) tokens; base loss: the "
        "base model's loss on held rows under that setting; epoch: the whole train split at that speed, no eval."
    )


if __name__ == "__main__":
    main()
