"""The learning curve of a training run: every checkpoint's adapter scored on the fixed validation slice, against the
training minutes at that checkpoint, written beside the released adapter as ``learning_curve.json`` and a plot.

The slice: the first ``limit`` rows of EdgeJSON ``validation`` (seen schemas) and of the ``generated`` config's
``validation`` split (generated schemas that no run trains on). A checkpoint already scored is not scored again, so a
killed run of this command resumes. A second stage of training (a recipe with ``init_adapter``) continues the curve of
the adapter it started from, when that adapter has one: its points come first, the new steps counted after its own.
The curve records its run (recipe, adapter folder, and the CPU and minutes of its ``training_info.json``), so that a
curve written beside another adapter (``--out``: a rerun of a released recipe whose own checkpoints were not kept)
says whose checkpoints it scored.

Usage: ``python -m maaza.evaluation.curve --recipe maaza_models/recipes/maaza-mlm-135m-json.yaml [--out DIR]`` (its
``output_dir`` holds the checkpoints, its ``adapter_dir`` keeps their results files and, unless ``--out`` names
another folder, receives the curve; its base and dataset score them)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from maaza.evaluation.results import read_run

CURVE_FILE = "learning_curve.json"
PLOT_FILE = "learning_curve.png"
SLICES = {"seen": "validation", "unseen": "data/generated/validation.jsonl"}


class CurveError(ValueError):
    """A run folder without scorable checkpoints; the message names the folder and what is missing."""


def checkpoints(run_dir: Path) -> list[tuple[int, float, Path]]:
    """(step, training seconds, folder) of every checkpoint of a run, in order of steps."""
    out = []
    for folder in Path(run_dir).glob("checkpoint-*"):
        state_file = folder / "trainer_state.json"
        if not (folder / "adapter_model.safetensors").is_file() or not state_file.is_file():
            continue
        state = json.loads(state_file.read_text())
        seconds = state.get("stateful_callbacks", {}).get("WallClock", {}).get("args", {}).get("seconds")
        if seconds is None:
            raise CurveError(f"{state_file}: no WallClock seconds; was it trained by maaza_models/train.py?")
        out.append((state["global_step"], seconds, folder))
    if not out:
        raise CurveError(f"{run_dir}: no checkpoint-* folder with an adapter and a trainer_state.json")
    return sorted(out)


def _score(model: str, folder: Path, name: str, limit: int, dataset_dir: Path, results_dir: Path) -> float:
    from maaza.evaluation.harness import evaluate_model  # torch and the metric load only when something is scored

    split, data = ("validation", None) if name == "seen" else (None, dataset_dir / SLICES[name])
    for path in sorted((results_dir / folder.name).glob("*.json")):  # scored before: read back, not scored again
        run = read_run(path)
        same_data = run.dataset.split == split if split else run.dataset.source == str(data)
        if same_data and run.dataset.examples == limit and run.model.adapter == str(folder):
            return run.scores["json_exact"]
    run, _ = evaluate_model(
        model, adapter=str(folder), split=split or "validation", data=data, limit=limit,
        dataset_dir=dataset_dir, results_dir=results_dir,
    )  # fmt: skip
    return run.scores["json_exact"]


def earlier_points(init_adapter: Path, limit: int) -> tuple[list[dict[str, Any]], int]:
    """The curve points of the adapter a second stage started from (none when it has no curve) and its steps."""
    steps = json.loads((Path(init_adapter) / "training_info.json").read_text())["steps"]
    path = Path(init_adapter) / CURVE_FILE
    if not path.is_file():
        return [], steps
    curve = json.loads(path.read_text())
    if curve["limit"] != limit:
        raise CurveError(f"{path}: scored on {curve['limit']} rows a slice, not {limit}; score both alike")
    return curve["points"], steps


def run_record(recipe: Path, adapter_dir: Path) -> dict[str, Any]:
    """The run a curve scores: its recipe and adapter folder, and once it has finished, the CPU it trained on and its
    training seconds (from the adapter folder's ``training_info.json``)."""
    record: dict[str, Any] = {"recipe": str(recipe), "adapter_dir": str(adapter_dir)}
    info_file = Path(adapter_dir) / "training_info.json"
    if info_file.is_file():
        info = json.loads(info_file.read_text())
        record |= {"cpu": info["hardware"]["cpu"], "train_seconds": info["train_seconds"]}
    return record


def learning_curve(
    run_dir: Path,
    adapter_dir: Path,
    model: str,
    limit: int,
    dataset_dir: Path,
    init_adapter: Path | None = None,
    run: dict[str, Any] | None = None,
    out: Path | None = None,
) -> list[dict[str, Any]]:
    """Score every checkpoint of ``run_dir`` on ``dataset_dir``'s validation slices (results files under
    ``adapter_dir``/curve) and write ``learning_curve.json``, recording ``run``, and its plot into ``out`` (default
    ``adapter_dir``); a second stage's curve starts with ``init_adapter``'s."""
    results_dir = Path(adapter_dir) / "curve"
    points, offset = earlier_points(init_adapter, limit) if init_adapter else ([], 0)
    for step, seconds, folder in checkpoints(run_dir):
        scores = {name: _score(model, folder, name, limit, dataset_dir, results_dir) for name in SLICES}
        exact = {f"json_exact_{name}": score for name, score in scores.items()}
        points.append({"step": offset + step, "train_seconds": round(seconds, 3), **exact})
    curve = {"model": model, "limit": limit, "slices": SLICES, "run": run, "points": points}
    out = Path(out or adapter_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / CURVE_FILE).write_text(json.dumps(curve, indent=2) + "\n")
    plot(curve, out / PLOT_FILE)
    return points


def plot(curve: dict[str, Any], out: Path) -> None:
    """Validation JSONExact (seen and unseen schemas) against training minutes, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
    minutes = [p["train_seconds"] / 60 for p in curve["points"]]
    for name, label in (("seen", "validation (seen schemas)"), ("unseen", "generated validation (unseen schemas)")):
        ax.plot(minutes, [100 * p[f"json_exact_{name}"] for p in curve["points"]], marker="o", label=label)
    ax.set_xlabel("training minutes")
    ax.set_ylabel(f"JSONExact % (first {curve['limit']} rows)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads OpenMP: see maaza/cli.py
    parser = argparse.ArgumentParser(prog="python -m maaza.evaluation.curve", description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", type=Path, required=True, help="the training recipe (YAML) of the run")
    parser.add_argument("--limit", type=int, default=40, help="rows of each validation slice (default 40)")
    parser.add_argument("--out", type=Path, help="where the curve goes (default: the recipe's adapter_dir)")
    args = parser.parse_args(argv)
    from maaza.recipes import RecipeError, read_recipe  # torch and trl load here, after OpenMP's waits are chosen

    try:
        script_args, training_args, model_args = read_recipe(args.recipe)
        adapter_dir, init = Path(script_args.adapter_dir), script_args.init_adapter
        points = learning_curve(
            Path(training_args.output_dir),
            adapter_dir,
            model_args.model_name_or_path,
            args.limit,
            Path(script_args.dataset_name),
            Path(init) if init else None,
            run_record(args.recipe, adapter_dir),
            args.out,
        )
    except RecipeError as err:
        print(f"error: bad recipe {args.recipe}: {err}", file=sys.stderr)
        return 2
    except CurveError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for p in points:
        print(f"step {p['step']:>5}  {p['train_seconds'] / 60:>6.1f} min  seen {p['json_exact_seen']:.1%}  "
              f"unseen {p['json_exact_unseen']:.1%}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
