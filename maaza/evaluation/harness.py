"""``edgejson-eval``: run a model on an EdgeJSON split (or any JSONL), score it with the EdgeJSON metric, and write a
results file with every output, the scores, measured speed and memory, and provenance.

Everything that can be checked before generation is checked before the model loads: the data and its schemas, the
metric, and a place to write the results (see ``maaza.evaluation.results``).

Usage: ``edgejson-eval --model smollm2-135m-instruct --split test [--adapter DIR] [--constrained] [--key-check]``;
an ONNX folder made by ``maaza export``: ``edgejson-eval --engine onnx --model exports/maaza-mlm-135m-json/int4``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from statistics import quantiles
from typing import TYPE_CHECKING, Any

from datasets import load_dataset

from edgejson.answer import MAX_DEPTH, Rejected, loads
from edgejson.schemas import BANDS, SchemaError, complexity_of, load_schema, parse_schema
from maaza.evaluation.results import (
    EDGEJSON,
    OPTION_HELP,
    DataInfo,
    ModelInfo,
    Run,
    check_writable,
    results_path,
    write_run,
)
from maaza.evaluation.results import SPLITS as REPORTED_SPLITS
from maaza.export.info import read_export_info
from maaza.inference.decoding import ENGINES, Decoding
from maaza.inference.spans import RULE as SPANS_RULE
from maaza.paths import RESULTS, default_dataset, default_metric

if TYPE_CHECKING:
    from maaza.inference.extract import Extractor
    from maaza.inference.generation import Generation

SPLITS = (*REPORTED_SPLITS, "validation")
TEXT_FIELDS = ("text", "prompt")
LIBRARIES = ("torch", "transformers", "peft", "xgrammar", "datasets", "evaluate", "jsonschema", "edgejson-maaza")
ONNX_LIBRARIES = ("onnxruntime-genai", "onnxruntime")


class DataError(ValueError):
    """Rows that cannot be evaluated; the message names the file, the row and what is missing."""


def _schema_of(row: dict[str, Any], where: str, schema_dir: Path | None) -> tuple[dict[str, Any], str, str | None]:
    """The row's JSON Schema, its id, and the complexity band its location tells (if any)."""
    schema_id = row.get("schema_id")
    if row.get("schema"):
        text = row["schema"] if isinstance(row["schema"], str) else json.dumps(row["schema"])
        return parse_schema(text, f"{where}, field schema"), schema_id or "", None
    if not schema_id:
        raise DataError(f"{where} has neither a schema nor a schema_id")
    if not isinstance(schema_id, str) or not re.fullmatch(r"[\w.-]+", schema_id):
        raise DataError(f"{where}: schema_id {schema_id!r} is not a schema name (letters, digits, _ . - only)")
    if schema_dir is not None:
        found = sorted(schema_dir.rglob(f"{schema_id}.json"))
        if found:
            band = found[0].parent.name
            return load_schema(found[0]), schema_id, band if band in BANDS else None
    try:
        return load_schema(schema_id), schema_id, complexity_of(schema_id)
    except SchemaError as err:
        hint = f" nor in {schema_dir}" if schema_dir else "; give the schemas folder with --schemas"
        raise DataError(f"{where}: schema {schema_id!r} is not an EdgeJSON schema{hint} ({err})") from None


# Why ``edgejson.answer.loads``, the metric's reader of references, refuses a JSON text (its kinds), in words.
REFUSED = {
    "invalid_json": "NaN and Infinity are not JSON",
    "duplicate_key": "a key appears twice in one object",
    "number_out_of_range": "a number is too large for a double",
    "too_deep": f"it is nested deeper than {MAX_DEPTH} levels",
}


def _strict_json(text: str, what: str) -> Any:
    """``text`` read as the metric reads a reference (``edgejson.answer.loads``); DataError saying ``what`` is not."""
    try:
        return loads(text)
    except json.JSONDecodeError as err:
        raise DataError(f"{what} is not valid JSON ({err})") from None
    except Rejected as err:
        raise DataError(f"{what} is not JSON the metric accepts ({REFUSED[err.kind]})") from None


def _read_jsonl(path: Path) -> list[tuple[str, Any]]:
    """The rows of a JSONL file, each with where it is (``FILE line N``), read under the metric's rules for JSON."""
    if not path.is_file():
        raise DataError(f"--data {path}: no such file")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise DataError(f"--data {path} is not valid UTF-8 (byte {err.start}): convert it to UTF-8 first") from None
    numbered = [(f"{path} line {number}", line) for number, line in enumerate(lines, 1) if line.strip()]
    return [(where, _strict_json(line, where)) for where, line in numbered]


def load_examples(
    split: str, data: Path | None = None, schema_dir: Path | None = None, dataset_dir: Path | None = None
) -> list[dict[str, Any]]:
    """Rows to evaluate: ``{id, text, schema, schema_id, complexity, expected}``, from a split or a JSONL file."""
    if data is None:
        dataset_dir = Path(dataset_dir or default_dataset())
        rows = load_dataset(str(dataset_dir), split=split)
        placed = [(f"{dataset_dir.name}/{split} row {i}", row) for i, row in enumerate(rows)]
    else:
        placed = _read_jsonl(data)
    examples = []
    for i, (where, row) in enumerate(placed):
        if not isinstance(row, dict):
            raise DataError(f"{where} is a JSON {type(row).__name__}, not an object with text and expected_output")
        text = next((row[f] for f in TEXT_FIELDS if row.get(f)), None)
        if text is None:
            raise DataError(f"{where} has no text (looked for {', '.join(TEXT_FIELDS)})")
        if not isinstance(text, str):
            raise DataError(f"{where}: its text is a {type(text).__name__}, not a string")
        expected = row.get("expected_output")
        if expected is None:
            raise DataError(f"{where} has no expected_output")
        if isinstance(expected, str):
            expected = _strict_json(expected, f"{where}: expected_output")
        if not isinstance(expected, dict):
            raise DataError(f"{where}: expected_output is not a JSON object")
        schema, schema_id, band = _schema_of(row, where, schema_dir)
        examples.append(
            {
                "id": row.get("id") or f"{i}",
                "text": text,
                "schema": schema,
                "schema_id": schema_id or "unnamed",
                "complexity": row.get("complexity") or band or "unlabelled",
                "expected": expected,
            }
        )
    return examples


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fingerprint(examples: list[dict[str, Any]]) -> str:
    """SHA-256 over the rows as evaluated (schemas resolved): the identity of a data file's results."""
    return hashlib.sha256(json.dumps(examples, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def _git(*args: str) -> str | None:
    """``git ARGS`` in the working directory's repository (provenance of a run started there); None outside one."""
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def _read_data(
    split: str,
    data: Path | None,
    schema_dir: Path | None,
    dataset_dir: Path | None,
    limit: int | None,
) -> tuple[list[dict[str, Any]], DataInfo]:
    """The rows to evaluate (the first ``limit``) and what the results file says of them."""
    dataset_dir = Path(dataset_dir or default_dataset())
    every = load_examples(split, data, schema_dir, dataset_dir)
    examples = every[:limit]
    if not examples:
        raise DataError("no examples to evaluate")
    data_file = data or dataset_dir / "data" / f"{split}.jsonl"
    dataset = DataInfo(
        split=None if data else split,
        examples=len(examples),
        source=str(data) if data else EDGEJSON,
        sha256=_file_sha256(data_file) if data_file.is_file() else None,
        fingerprint=_fingerprint(every),
        schemas=str(schema_dir) if schema_dir else None,
        limit=len(examples) if len(examples) < len(every) else None,
    )
    return examples, dataset


def _model_info(model: str, adapter: str | None, engine: str) -> ModelInfo:
    """What the results file says of the model, known before it loads (a torch model's size: once it has)."""
    from maaza.adapters import adapter_hash
    from maaza.bases import BASES

    if engine == "torch":
        return ModelInfo(
            name=model,
            parameters=0,  # known once the model is loaded
            adapter=adapter,
            hub_id=BASES[model].hub_id if model in BASES else None,
            adapter_sha256=adapter_hash(adapter) if adapter else None,
        )
    if adapter is not None:
        raise ValueError("--engine onnx: the adapter is merged into the ONNX folder; give no --adapter")
    export = read_export_info(model)
    return ModelInfo(
        name=export.base,
        parameters=export.parameters,
        adapter=export.adapter,
        hub_id=BASES[export.base].hub_id if export.base in BASES else None,
        adapter_sha256=export.adapter_sha256,
        size_mb=export.size_mb,
        engine=engine,
        precision=export.precision,
        export=str(model),
    )


def _generate(extractor: Extractor, examples: list[dict[str, Any]]) -> tuple[list[Generation], list[int], float]:
    """Every example's generation, its answer budget, and the wall time of them all."""
    requests = [(ex["schema"], ex["text"]) for ex in examples]
    budgets = [extractor.budget(schema, text) for schema, text in requests]
    started = time.perf_counter()
    generations = extractor.generate(requests, max_new_tokens=budgets, progress=True)
    return generations, budgets, time.perf_counter() - started


def _score(metric: Any, examples: list[dict[str, Any]], generations: list[Generation]) -> dict[str, Any]:
    """The EdgeJSON metric's scores of the answers, with their breakdowns and each example's ``details``."""
    return metric.compute(
        predictions=[g.answer for g in generations],
        references=[json.dumps(ex["expected"], ensure_ascii=False) for ex in examples],
        schemas=[json.dumps(ex["schema"], ensure_ascii=False) for ex in examples],
        complexities=[ex["complexity"] for ex in examples],
        schema_ids=[ex["schema_id"] for ex in examples],
        return_details=True,
    )


def _decoding_section(decoding: Decoding) -> dict[str, Any]:
    """A results file's ``decoding``: the run's ``Decoding`` record (its batch size as run), greedy, and the rules
    behind its budget, its stops and each switch."""
    from maaza.checks.keys import RULE as KEY_CHECK_RULE
    from maaza.checks.values import RULE as VALUE_CHECK_RULE
    from maaza.inference.extract import ANSWER_MARGIN
    from maaza.inference.generation import CLOSE_TOKENS, MIN_LOOP, REPEATS

    on_torch = decoding.engine == "torch"
    grammar = f"xgrammar {version('xgrammar')}" if on_torch else "llguidance (onnxruntime-genai guidance)"
    return {
        **decoding.greedy,
        "constrained": decoding.constrained,
        "engine": grammar if decoding.constrained else None,  # the grammar engine; the model's engine is model.engine
        "batch_size": decoding.batch_size,
        "max_new_tokens": f"per example, known before answering: tokens of the schema's template + of the text + "
        f"{ANSWER_MARGIN}",
        "stop": f"end of the first top-level JSON object, EOS, the budget, or a loop (a block of tokens {REPEATS} "
        f"times in a row over >= {MIN_LOOP} tokens)"
        + (
            f"; constrained, a loop or the budget starts closing instead: up to {CLOSE_TOKENS} more tokens, "
            "closing tokens first wherever the grammar allows one"
            if decoding.constrained and on_torch
            else ""
        ),
        "spans": decoding.spans,
        **({"spans_rule": SPANS_RULE} if decoding.spans else {}),
        "key_check": decoding.key_check,
        **({"key_check_rule": KEY_CHECK_RULE} if decoding.key_check else {}),
        "value_check": decoding.value_check,
        **({"value_check_rule": VALUE_CHECK_RULE} if decoding.value_check else {}),
        "prompt": "edgejson.build_messages through the tokenizer's chat template",
    }


def _performance(extractor: Extractor, generations: list[Generation], wall_s: float, load_s: float) -> dict[str, Any]:
    """Speed and memory of a run: wall time, tokens, latencies, peak RSS, and what constrained decoding cost."""
    latencies = sorted(g.latency_s for g in generations)
    p50, p95 = (
        (latencies[0], latencies[0]) if len(latencies) == 1 else [quantiles(latencies, n=100)[q] for q in (49, 94)]
    )
    new_tokens = sum(g.new_tokens for g in generations)
    decoding = extractor.decoding
    constraint = extractor.constraint if decoding.constrained and decoding.engine == "torch" else None
    checked = "; with the value or key check, until its checked answer was ready" if decoding.checks else ""
    return {
        "wall_s": round(wall_s, 3),
        "model_load_s": round(load_s, 3),
        "generated_tokens": new_tokens,
        "tokens_per_s": round(new_tokens / wall_s, 2),
        "examples_per_s": round(len(generations) / wall_s, 3),
        "latency_p50_s": round(p50, 3),
        "latency_p95_s": round(p95, 3),
        "latency": "per example: from the start of its batch until its JSON object was complete" + checked,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "schema_compile_s": round(constraint.compile_s, 3) if constraint else None,
        "mask_ms_per_token": round(1000 * constraint.mask_s / max(new_tokens, 1), 3) if constraint else None,
    }


def _provenance(engine: str) -> dict[str, Any]:
    """When, from which code and command, with which libraries and on which machine a run was made."""
    from maaza.machine import machine

    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": _git("rev-parse", "HEAD"),
        # Changes to the code or data, not the results files that runs like this one write.
        "git_dirty": bool(_git("status", "--porcelain", "--", ".", f":(exclude){RESULTS}")),
        "command": " ".join(["edgejson-eval", *sys.argv[1:]]),
        "libraries": {name: version(name) for name in LIBRARIES + (ONNX_LIBRARIES if engine == "onnx" else ())},
        "machine": machine(),
    }


def _example_rows(
    examples: list[dict[str, Any]], generations: list[Generation], details: list[dict[str, Any]], budgets: list[int]
) -> list[dict[str, Any]]:
    """Each example as the results file keeps it: its output, what the checks changed, how it scored and cost."""
    return [
        {
            "id": ex["id"],
            "schema_id": ex["schema_id"],
            "complexity": ex["complexity"],
            "raw_output": g.raw,
            "dropped": g.dropped,  # by the value and key checks: parsed is raw_output without them,
            "repaired": g.repaired,  # and with these values set by the value check
            "parsed": d["parsed"],
            "failure": d["failure"],
            "errors": d["errors"],
            "scores": {k: d[k] for k in ("json_exact", "field_f1", "schema_compliance", "leaf_f1", "schema_valid")},
            "prompt_tokens": g.prompt_tokens,
            "new_tokens": g.new_tokens,
            "budget": budget,
            "stop": g.stop,
            "latency_s": round(g.latency_s, 3),
        }
        for ex, g, d, budget in zip(examples, generations, details, budgets, strict=True)
    ]


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
    examples, dataset = _read_data(split, data, schema_dir, dataset_dir, limit)
    info = _model_info(model, adapter, decoding.engine)
    path = results_path(results_dir, info.label, dataset, decoding, info.variant)
    check_writable(path)
    metric = evaluate.load(str(metric_path or default_metric()))
    load_started = time.perf_counter()
    extractor = Extractor.load(model, adapter=adapter, decoding=decoding)
    load_s = time.perf_counter() - load_started
    if decoding.engine == "torch":
        info = replace(info, parameters=extractor.model.num_parameters(), precision=extractor.precision)
    generations, budgets, wall_s = _generate(extractor, examples)
    scores = _score(metric, examples, generations)
    details, by_complexity, by_schema = scores.pop("details"), scores.pop("by_complexity"), scores.pop("by_schema")
    run = Run(
        model=info,
        dataset=dataset,
        decoding=_decoding_section(replace(decoding, batch_size=extractor.batch_size())),
        scores=scores,
        by_complexity=by_complexity,
        by_schema=by_schema,
        performance=_performance(extractor, generations, wall_s, load_s),
        provenance=_provenance(decoding.engine),
        examples=_example_rows(examples, generations, details, budgets),
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
        help="torch (default) or onnx: --model is then a folder made by `maaza export`",
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
