"""``edgejson-eval``: run a model on an EdgeJSON split (or any JSONL), score it with the EdgeJSON metric, and write a
results file with every output, the scores, measured speed and memory, and provenance.

Everything that can be checked before generation is checked before the model loads: the data and its schemas, the
metric, and a place to write the results (see ``maaza.evaluation.results``). The data is read in
``maaza.evaluation.examples``, the results file's sections are made in ``maaza.evaluation.sections``.

Usage: ``edgejson-eval --model smollm2-135m-instruct --split test [--adapter DIR] [--constrained] [--key-check]``;
an ONNX folder made by ``maaza export``: ``edgejson-eval --engine onnx --model exports/maaza-mlm-135m-json/int4``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from maaza.evaluation.examples import read_data
from maaza.evaluation.results import OPTION_HELP, Run, check_writable, results_path, write_run
from maaza.evaluation.results import SPLITS as REPORTED_SPLITS
from maaza.evaluation.sections import decoding_section, example_rows, model_info, performance, provenance
from maaza.inference.decoding import ENGINES, Decoding
from maaza.paths import RESULTS, default_metric

if TYPE_CHECKING:
    from maaza.inference.extract import Extractor
    from maaza.inference.generation import Generation

SPLITS = (*REPORTED_SPLITS, "validation")


def _generate(extractor: Extractor, examples: list[dict[str, Any]]) -> tuple[list[Generation], list[int], float]:
    """Every example's generation, its answer budget, and the wall time of them all."""
    requests = [(ex["schema"], ex["text"]) for ex in examples]
    budgets = [extractor.budget(schema, text) for schema, text in requests]
    started = time.perf_counter()
    generations = extractor.generate(requests, max_new_tokens=budgets, progress=True)
    return generations, budgets, time.perf_counter() - started


def score_answers(metric: Any, examples: list[dict[str, Any]], answers: list[str]) -> dict[str, Any]:
    """The EdgeJSON metric's scores of ``answers`` to ``examples``, with their breakdowns and each example's
    ``details``. Usage: ``score_answers(evaluate.load("metrics/edgejson"), examples, ['{"name": "Ada"}'])``"""
    return metric.compute(
        predictions=answers,
        references=[json.dumps(ex["expected"], ensure_ascii=False) for ex in examples],
        schemas=[json.dumps(ex["schema"], ensure_ascii=False) for ex in examples],
        complexities=[ex["complexity"] for ex in examples],
        schema_ids=[ex["schema_id"] for ex in examples],
        return_details=True,
    )


def evaluate_model(
    model: str,
    adapter: str | None = None,
    split: str = "test",
    data: Path | None = None,
    schema_dir: Path | None = None,
    decoding: Decoding | None = None,
    limit: int | None = None,
    dataset_dir: Path | None = None,
    metric_path: Path | None = None,
    results_dir: Path = RESULTS,
) -> tuple[Run, Path]:
    """Check the data, the metric and the results file's place, then generate, score, measure and write the run.

    ``decoding``: None for greedy decoding on the torch engine. On the onnx engine, ``model`` is a folder made by
    ``maaza export``; the run is filed under its adapter's name.
    """
    # torch (and OpenMP with it) loads here, not on import, so that main() chooses OpenMP's waits first.
    import evaluate

    from maaza.inference.extract import Extractor

    decoding = decoding or Decoding()
    examples, dataset = read_data(split, data, schema_dir, dataset_dir, limit)
    info = model_info(model, adapter, decoding.engine)
    path = results_path(results_dir, info.label, dataset, decoding, info.variant)
    check_writable(path)
    metric = evaluate.load(str(metric_path or default_metric()))
    load_started = time.perf_counter()
    extractor = Extractor.load(model, adapter=adapter, decoding=decoding)
    load_s = time.perf_counter() - load_started
    if decoding.engine == "torch":
        info = replace(info, parameters=extractor.model.num_parameters(), precision=extractor.precision)
    with extractor:  # the browser engine's Chromium closes once the answers are in
        generations, budgets, wall_s = _generate(extractor, examples)
    scores = score_answers(metric, examples, [g.answer for g in generations])
    details, by_complexity, by_schema = scores.pop("details"), scores.pop("by_complexity"), scores.pop("by_schema")
    run = Run(
        model=info,
        dataset=dataset,
        decoding=decoding_section(replace(decoding, batch_size=extractor.batch_size())),
        scores=scores,
        by_complexity=by_complexity,
        by_schema=by_schema,
        performance=performance(extractor, generations, wall_s, load_s),
        provenance=provenance(decoding.engine),
        examples=example_rows(examples, generations, details, budgets),
    )
    return run, write_run(run, path)


def summary_table(run: Run) -> str:
    """The scores overall and by complexity band, then speed and memory, as a plain-text table."""
    columns = ("json_exact", "field_f1", "leaf_f1", "schema_valid", "parse_rate")
    rows = [("all", run.dataset.examples, run.scores)]
    rows += [(band, group["n"], group) for band, group in run.by_complexity.items()]
    lines = [f"{'':<12}{'n':>5}" + "".join(f"{c:>14}" for c in columns)]
    lines += [f"{name:<12}{n:>5}" + "".join(f"{group[c]:>14.3f}" for c in columns) for name, n, group in rows]
    perf = run.performance
    lines.append(
        f"{perf['generated_tokens']} tokens in {perf['wall_s']:.1f} s: {perf['tokens_per_s']:.1f} tokens/s, "
        f"latency p50 {perf['latency_p50_s']:.2f} s, p95 {perf['latency_p95_s']:.2f} s, "
        f"peak RSS {perf['peak_rss_mb']:.0f} MB"
    )
    if perf["mask_ms_per_token"] is not None:
        lines.append(
            f"constrained: {perf['mask_ms_per_token']:.3f} ms of masking per token, "
            f"{perf['schema_compile_s']:.2f} s compiling schemas"
        )
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edgejson-eval",
        description="Evaluate a model on EdgeJSON: outputs, scores, speed and provenance in one results file.",
    )
    parser.add_argument("--model", required=True, help="a registered base, a local model folder or a Hub id")
    parser.add_argument("--adapter", help="a LoRA adapter folder made for the model")
    parser.add_argument("--split", default="test", choices=SPLITS, help="EdgeJSON split (default test)")
    parser.add_argument(
        "--data",
        type=Path,
        help="a JSONL file instead of a split: rows with text (or prompt), expected_output and schema or schema_id",
    )
    parser.add_argument("--schemas", type=Path, help="a folder of <schema_id>.json files for --data rows")
    parser.add_argument(
        "--dataset",
        type=Path,
        help="the EdgeJSON dataset folder for --split (default: ./edgejson_dataset, else the one installed)",
    )
    parser.add_argument(
        "--metric", type=Path, help="the EdgeJSON metric (default: ./metrics/edgejson, else the one installed)"
    )
    for option in OPTION_HELP:
        parser.add_argument(f"--{option.replace('_', '-')}", action="store_true", help=OPTION_HELP[option])
    parser.add_argument(
        "--engine",
        default="torch",
        choices=ENGINES,
        help="torch (default), onnx, llamacpp (greedy only) or browser (the page in headless Chromium): --model is "
        "then a folder made by `maaza export`",
    )
    parser.add_argument("--limit", type=int, help="evaluate the first N examples only")
    parser.add_argument(
        "--batch-size", type=int, help="sequences decoded together (default 8; a quantized ONNX build 1, its faster)"
    )
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS, help=f"where results files go (default ./{RESULTS})"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``edgejson-eval``."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads OpenMP: see maaza/cli.py
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error(f"--limit must be at least 1, got {args.limit}")
    if args.batch_size is not None and args.batch_size < 1:
        parser.error(f"--batch-size must be at least 1, got {args.batch_size}")
    for option, folder in (("--schemas", args.schemas), ("--dataset", args.dataset)):
        if folder is not None and not folder.is_dir():
            parser.error(f"{option} {folder}: no such folder")
    if args.metric is not None and not args.metric.exists():
        parser.error(f"--metric {args.metric}: no such folder or file")
    try:
        run, path = evaluate_model(
            args.model,
            args.adapter,
            split=args.split,
            data=args.data,
            schema_dir=args.schemas,
            decoding=Decoding.from_flags(args, batch_size=args.batch_size),
            limit=args.limit,
            dataset_dir=args.dataset,
            metric_path=args.metric,
            results_dir=args.results_dir,
        )
    except FileNotFoundError as err:  # no dataset or metric in the working directory nor installed
        parser.exit(2, f"edgejson-eval: error: {err}; give its folder with --dataset or --metric\n")
    except ValueError as err:  # bad data, schema, model, adapter or results folder
        parser.exit(2, f"edgejson-eval: error: {err}\n")
    except KeyboardInterrupt:
        parser.exit(130, "edgejson-eval: interrupted\n")
    print(summary_table(run))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
