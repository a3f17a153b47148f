"""``edgejson-eval``'s wall time per engine, in one run on one machine: the adapter through PyTorch, then each ONNX
folder of ``maaza export``, on the same split, greedy, each at its engine's default batch size or all at
``--batch-size`` (1: one request at a time, the single-stream speed an edge device sees). Each run writes its
results file as ``edgejson-eval`` does (``--results-dir``); the script prints wall time, examples/s and each ONNX
run's wall-time ratio against PyTorch's, and how often its parsed answers equal PyTorch's. Benchmarks need the CPU to
themselves: run this when nothing else runs.

Usage: ``python scripts/bench_eval.py --adapter maaza_models/maaza-mlm-135m-json --onnx exports/maaza-mlm-135m-json/q4
[--split test] [--limit N] [--batch-size N] [--results-dir results] [--json bench.json]``
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the maaza commands set it, before torch loads OpenMP

from maaza.bases import DEFAULT_BASE  # noqa: E402
from maaza.evaluation.harness import evaluate_model  # noqa: E402
from maaza.evaluation.results import Run  # noqa: E402
from maaza.inference.decoding import Decoding  # noqa: E402
from maaza.machine import machine  # noqa: E402
from maaza.paths import RESULTS  # noqa: E402
from release.card_tables import same_parsed  # noqa: E402


def line(run: Run, path: Path, reference: Run | None) -> dict:
    """One engine's figures; against ``reference`` (the PyTorch run), its wall-time ratio and parsed agreement."""
    figures = {
        "engine": run.label,
        "results": str(path),
        "batch_size": run.decoding["batch_size"],
        "wall_s": run.performance["wall_s"],
        "examples_per_s": run.performance["examples_per_s"],
        "tokens_per_s": run.performance["tokens_per_s"],
        "json_exact": run.scores["json_exact"],
    }
    if reference is not None:
        figures["wall_vs_torch"] = reference.performance["wall_s"] / run.performance["wall_s"]
        figures["tokens_per_s_vs_torch"] = run.performance["tokens_per_s"] / reference.performance["tokens_per_s"]
        figures["same_parsed_as_torch"] = same_parsed(run, reference)
    print(
        f"{figures['engine']:<40} batch {figures['batch_size']}  wall {figures['wall_s']:>8.1f} s  "
        f"{figures['examples_per_s']:.3f} ex/s  {figures['tokens_per_s']:.1f} tok/s  "
        f"JSONExact {100 * figures['json_exact']:.1f}%"
        + (
            f"  {figures['wall_vs_torch']:.2f}x less wall time than torch, {figures['tokens_per_s_vs_torch']:.2f}x "
            f"its tokens/s, parsed as torch "
            f"{100 * figures['same_parsed_as_torch']:.1f}%"
            if reference is not None
            else ""
        ),
        flush=True,
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--adapter", required=True, help="the LoRA adapter folder")
    parser.add_argument("--model", default=DEFAULT_BASE, help=f"its base (default {DEFAULT_BASE})")
    parser.add_argument("--onnx", nargs="+", required=True, type=Path, help="ONNX folders made by `maaza export`")
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, help="the first N examples only")
    parser.add_argument("--batch-size", type=int, help="every engine's batch size (default: each engine's own)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()

    if args.batch_size is not None and args.batch_size < 1:
        parser.error(f"--batch-size must be at least 1, got {args.batch_size}")
    common = {"split": args.split, "limit": args.limit, "results_dir": args.results_dir}
    reference, path = evaluate_model(args.model, args.adapter, decoding=Decoding(batch_size=args.batch_size), **common)
    rows = [line(reference, path, None)]
    for folder in args.onnx:
        onnx = Decoding(engine="onnx", batch_size=args.batch_size)
        run, path = evaluate_model(str(folder), decoding=onnx, **common)
        rows.append(line(run, path, reference))
    if args.json:
        summary = {"split": args.split, "examples": len(reference.examples), "machine": machine(), "rows": rows}
        args.json.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
