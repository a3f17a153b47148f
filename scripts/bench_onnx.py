"""ONNX Runtime GenAI against PyTorch for one adapter, per precision, on the same examples in one run: JSONExact, how
often the parsed output equals PyTorch's, single-stream tokens/s and its ratio to PyTorch's, and size on disk.
``--batched`` also times both engines as ``edgejson-eval`` runs them (batches of ``--batch-size``): the wall-time
ratio, and how often a batched ONNX answer equals its single-stream one. Benchmarks need the CPU to themselves: run
this when nothing else runs.

The ONNX folders are ``maaza export``'s (``--exports``, default ``exports/<adapter folder name>``); missing ones are
built first, ``--rebuild`` builds them again (after changing the int4 settings).

Usage: ``python scripts/bench_onnx.py --adapter maaza_models/maaza-mlm-135m-json [--precision fp32 int4]
[--examples 50] [--split test] [--block-size 32] [--accuracy-level 4] [--batched]``
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the maaza commands set it, before torch loads OpenMP

import evaluate  # noqa: E402

from maaza.bases import DEFAULT_BASE  # noqa: E402
from maaza.evaluation.examples import load_examples  # noqa: E402
from maaza.export.build import export  # noqa: E402
from maaza.export.info import PRECISIONS, Quantization, folder_mb, read_export_info
from maaza.inference.decoding import Decoding  # noqa: E402
from maaza.inference.extract import Extractor, Generation  # noqa: E402
from maaza.paths import EXPORTS, default_export, default_metric  # noqa: E402


def timed(extractor: Extractor, requests: list, batch_size: int = 1) -> tuple[list[Generation], float]:
    """The generations of ``requests`` and the wall time they took."""
    started = time.perf_counter()
    generations = extractor.generate(requests, batch_size=batch_size)
    return generations, time.perf_counter() - started


def json_exact(generations: list[Generation], examples: list[dict[str, Any]]) -> float:
    """JSONExact of the generations, scored by the EdgeJSON metric."""
    return evaluate.load(str(default_metric())).compute(
        predictions=[g.raw for g in generations],
        references=[json.dumps(ex["expected"], ensure_ascii=False) for ex in examples],
        schemas=[json.dumps(ex["schema"], ensure_ascii=False) for ex in examples],
    )["json_exact"]


def row(name: str, generations: list[Generation], wall: float, examples: list[dict], torch_run: dict | None) -> dict:
    tokens = sum(g.new_tokens for g in generations)
    reference = torch_run["generations"] if torch_run else generations
    same = [g.output == t.output for g, t in zip(generations, reference, strict=True)]
    return {
        "engine": name,
        "json_exact": json_exact(generations, examples),
        "same_parsed_as_torch": sum(same) / len(same),
        "tokens_per_s": tokens / wall,
        "speedup": (tokens / wall) / torch_run["tokens_per_s"] if torch_run else 1.0,
        "wall_s": wall,
        "generations": generations,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--adapter", required=True, type=Path, help="the LoRA adapter folder")
    parser.add_argument("--model", default=DEFAULT_BASE, help=f"its base (default {DEFAULT_BASE})")
    parser.add_argument("--precision", nargs="+", default=["fp32", "int4"], choices=PRECISIONS)
    parser.add_argument("--examples", type=int, default=50, help="the first N examples of the split (default 50)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--exports", type=Path, help=f"the export folder (default {EXPORTS}/<adapter folder name>)")
    parser.add_argument("--rebuild", action="store_true", help="build the ONNX folders again")
    parser.add_argument("--block-size", type=int, default=32)
    parser.add_argument("--accuracy-level", type=int, default=4, choices=(1, 2, 3, 4))
    parser.add_argument("--batched", action="store_true", help="also time PyTorch in batches, as edgejson-eval runs")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    args = parser.parse_args()

    exports = args.exports or default_export(args.adapter)
    missing = [p for p in args.precision if args.rebuild or not (exports / p / "export_info.json").is_file()]
    if missing:
        quantization = Quantization(args.block_size, args.accuracy_level)
        export(args.model, args.adapter, exports, missing, quantization)
    examples = load_examples(args.split)[: args.examples]
    requests = [(ex["schema"], ex["text"]) for ex in examples]

    torch_extractor = Extractor.load(args.model, adapter=args.adapter)
    torch_run = row("torch fp32", *timed(torch_extractor, requests), examples, None)
    torch_run["size_mb"] = folder_mb(exports / "merged") if (exports / "merged").is_dir() else None
    torch_run["settings"] = "merged safetensors"
    rows = [torch_run]
    if args.batched:
        batched = timed(torch_extractor, requests, args.batch_size)[1]
        print(f"torch, batches of {args.batch_size}: {batched:.1f} s wall for {len(examples)} examples")
    del torch_extractor
    for precision in args.precision:
        info = read_export_info(exports / precision)
        extractor = Extractor.load(exports / precision, decoding=Decoding(engine="onnx"))
        onnx_row = row(f"onnx {precision}", *timed(extractor, requests), examples, torch_run)
        onnx_row["size_mb"] = info.size_mb
        onnx_row["settings"] = ", ".join(f"{k} {v}" for k, v in (info.quantization or {}).items() if v is not None)
        if args.batched:
            generations, wall = timed(extractor, requests, args.batch_size)
            onnx_row["batched_wall_s"], onnx_row["wall_vs_torch_batched"] = wall, batched / wall
            same = [g.raw == s.raw for g, s in zip(generations, onnx_row["generations"], strict=True)]
            onnx_row["batched_same_as_single"] = sum(same) / len(same)
        rows.append(onnx_row)
        del extractor

    print(f"\n{args.adapter.name} on {len(examples)} {args.split} examples, greedy, one request at a time\n")
    print(f"{'engine':<12}{'JSONExact':>10}{'=torch':>8}{'tok/s':>8}{'x torch':>9}{'MB':>8}  settings")
    for r in rows:
        size = f"{r['size_mb']:.1f}" if r["size_mb"] is not None else "?"
        print(
            f"{r['engine']:<12}{100 * r['json_exact']:>9.1f}%{100 * r['same_parsed_as_torch']:>7.0f}%"
            f"{r['tokens_per_s']:>8.1f}{r['speedup']:>8.2f}x{size:>8}  {r['settings']}"
        )
        if "wall_vs_torch_batched" in r:
            print(
                f"{'':<12}batches of {args.batch_size}: wall {r['batched_wall_s']:.1f} s, "
                f"{r['wall_vs_torch_batched']:.2f}x less than torch batched; "
                f"{100 * r['batched_same_as_single']:.0f}% of answers as single-stream"
            )
    if args.json:
        table = [{k: v for k, v in r.items() if k != "generations"} for r in rows]
        args.json.write_text(json.dumps({"adapter": str(args.adapter), "examples": len(examples), "rows": table}))


if __name__ == "__main__":
    main()
