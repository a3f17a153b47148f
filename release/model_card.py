"""The model card of a Maaza adapter, generated from its ``training_info.json`` and the harness's results files.

The Hub ids it names (the dataset, the Space that publishes ``results/``, the adapter's own repo) come from the
release file, ``release.yaml``.

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

from edgejson.schemas import BANDS
from maaza.bases import BASES
from maaza.evaluation.curve import CURVE_FILE
from maaza.evaluation.results import (
    MODES,
    RUNS,
    ResultsError,
    Run,
    headline,
    read_run,
    recommended_mode,
    results_files,
)
from maaza.paths import RESULTS
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


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def results_rows(runs: dict[tuple[str, str], Run]) -> list[list[str]]:
    """One row per run: scores overall and per band, speed, examples."""
    rows = []
    for split, mode in RUNS:
        if (split, mode) not in runs:
            continue
        run = runs[split, mode]
        bands = run.by_complexity
        rows.append(
            [
                split,
                mode,
                str(run.dataset.examples),
                _pct(run.value("scores.json_exact")),
                *(_pct(bands[band]["json_exact"]) if band in bands else "–" for band in BANDS),
                f"{run.value('scores.field_f1'):.3f}",
                f"{run.value('scores.leaf_f1'):.3f}",
                _pct(run.value("scores.schema_valid")),
                f"{run.value('performance.tokens_per_s'):.1f}",
                f"`{run.path.name}`",
            ]
        )
    return rows


def baseline_rows(results_dir: Path) -> list[list[str]]:
    """Zero-shot models of the leaderboard on test, greedy decoding: the comparison the card makes."""
    best = headline(_read_runs(results_files(results_dir)))
    return [
        [
            run.model.hub_id or run.model.name,
            f"{run.model.parameters / 1e6:.0f}M",
            str(run.dataset.examples),
            _pct(run.value("scores.json_exact")),
            f"{run.value('scores.leaf_f1'):.3f}",
            _pct(run.value("scores.schema_valid")),
        ]
        for (_, split, mode), run in sorted(best.items())
        if split == "test" and mode == "greedy" and not run.model.adapter
    ]


def _ids(run: Run) -> list[str]:
    return [example["id"] for example in run.examples]


def edge_groups(runs: list[Run]) -> list[tuple[Run, list[Run]]]:
    """Each PyTorch run with the runs of other engines on the same examples and decoding, by split, decoding and number
    of examples; a build with no such PyTorch run is left out."""

    def same_examples(a: Run, b: Run) -> bool:
        return (a.dataset.name, a.mode, _ids(a)) == (b.dataset.name, b.mode, _ids(b))

    groups: dict[Path | None, tuple[Run, list[Run]]] = {}
    for run in sorted(runs, key=lambda r: (r.dataset.name, MODES.index(r.mode), r.label)):
        torch_run = next((t for t in runs if t.model.engine == "torch" and same_examples(t, run)), None)
        if run.model.engine != "torch" and torch_run is not None:
            groups.setdefault(torch_run.path, (torch_run, []))[1].append(run)
    return sorted(groups.values(), key=lambda g: (g[0].dataset.name, MODES.index(g[0].mode), len(g[0].examples)))


def rows_name(run: Run) -> str:
    """The rows a run scored, as the card names them: ``test`` or ``test (first 50)``."""
    return run.dataset.name + (f" (first {run.dataset.limit})" if run.dataset.limit else "")


def same_cpu(run: Run, other: Run) -> bool:
    """Whether two runs ran on the same CPU: only then is a speed ratio between them shown."""
    return run.value("provenance.machine.cpu") == other.value("provenance.machine.cpu")


def same_parsed(run: Run, torch_run: Run) -> float:
    """The share of examples whose parsed output equals the PyTorch run's."""
    same = sum(a["parsed"] == b["parsed"] for a, b in zip(run.examples, torch_run.examples, strict=True))
    return same / len(run.examples)


def precision_rows(runs: list[Run]) -> list[list[str]]:
    """The edge builds against PyTorch (``edge_groups``): JSONExact, how often the parsed output equals PyTorch's,
    size on disk, and examples per second with its ratio to PyTorch's (when both ran on the same CPU)."""
    rows = []
    for torch_run, builds in edge_groups(runs):
        speed = torch_run.value("performance.examples_per_s")
        for run in (torch_run, *builds):
            ratio = run.value("performance.examples_per_s") / speed
            rows.append(
                [
                    rows_name(run),
                    run.mode,
                    f"{run.model.engine} {run.model.precision}",
                    str(run.decoding["batch_size"]),
                    _pct(run.value("scores.json_exact")),
                    _pct(same_parsed(run, torch_run)),
                    "–" if run.model.size_mb is None else f"{run.model.size_mb:.0f}",
                    f"{run.value('performance.examples_per_s'):.3f}",
                    f"{ratio:.2f}x" if same_cpu(run, torch_run) else "other CPU",
                    f"`{run.path.name}`",
                ]
            )
    return rows


def recommended_build(runs: list[Run]) -> str | None:
    """The quantized edge build to use: on the largest set of examples any was compared on, the one whose parsed
    output most often equals PyTorch's; a sentence with its figures (None when no quantized build was compared)."""
    candidates = [
        (len(run.examples), same_parsed(run, torch_run), run, torch_run)
        for torch_run, builds in edge_groups(runs)
        for run in builds
        if run.model.precision != "fp32"
    ]
    if not candidates:
        return None
    _, same, run, torch_run = max(candidates, key=lambda c: c[:2])
    where, cpu = rows_name(run), run.value("provenance.machine.cpu")
    ratio = run.value("performance.examples_per_s") / torch_run.value("performance.examples_per_s")
    speed = (
        f" `edgejson-eval` ran it at {ratio:.2f}x PyTorch's examples per second, on the same CPU ({cpu})."
        if same_cpu(run, torch_run)
        else ""
    )
    return (
        f"Recommended on the edge: **{run.model.precision}** ({run.model.size_mb:.0f} MB on disk). On {where}, "
        f"{run.mode}, it scores {_pct(run.value('scores.json_exact'))} JSONExact against PyTorch's "
        f"{_pct(torch_run.value('scores.json_exact'))}, and {_pct(same)} of its answers parse to PyTorch's "
        f"(`{run.path.name}`).{speed}{single_stream(runs, run.model.precision)}"
    )


def single_stream(runs: list[Run], precision: str) -> str:
    """A sentence on the ``precision`` build's tokens per second one request at a time, against PyTorch's on the same
    examples and CPU, both at batch 1 (on the most examples any such pair ran); empty when no such pair ran."""
    pairs = [
        (run, torch_run)
        for torch_run, builds in edge_groups(runs)
        for run in builds
        if run.model.precision == precision
        and run.decoding["batch_size"] == torch_run.decoding["batch_size"] == 1
        and same_cpu(run, torch_run)
    ]
    if not pairs:
        return ""
    run, torch_run = max(pairs, key=lambda pair: len(pair[0].examples))
    where = rows_name(run)
    speed, reference = run.value("performance.tokens_per_s"), torch_run.value("performance.tokens_per_s")
    return (
        f" One request at a time (batch 1 for both engines, {where}, `{run.path.name}`), it decodes "
        f"{speed:.1f} tokens per second, {speed / reference:.2f}x PyTorch's {reference:.1f}."
    )


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


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


RESULTS_HEADER = [
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
]
BASELINES_HEADER = ["zero-shot model", "params", "examples", "JSONExact", "leaf F1", "schema-valid"]
REFERENCE_HEADER = ["model (EdgeJSON v3)", "params", "type", "JSONExact", "FieldF1"]
PRECISION_HEADER = [
    "split",
    "decoding",
    "engine",
    "batch",
    "JSONExact",
    "parsed output = PyTorch's",
    "size (MB)",
    "examples/s",
    "x PyTorch",
    "results file",
]


def _tables(
    runs: dict[tuple[str, str], Run],
    every_run: list[Run],
    edge_rows: list[list[str]],
    all_results: Path,
    reference: dict[str, Any],
) -> dict[str, str | None]:
    """The card's tables: the adapter's results, the zero-shot baselines, the original release's and the edge
    builds' (none when no build was compared), with the edge build the card recommends."""
    return {
        "results_table": table(RESULTS_HEADER, results_rows(runs)),
        "baselines_table": table(BASELINES_HEADER, baseline_rows(all_results)),
        "reference_table": table(
            REFERENCE_HEADER,
            [
                [m["model"], f"{m['params_m']}M", m["type"], _pct(m["json_exact"]), f"{m['field_f1']:.3f}"]
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
                    _pct(p["json_exact_seen"]),
                    _pct(p["json_exact_unseen"]),
                ]
                for p in curve["points"]
            ],
        ),
        "loss_table": info.get("eval_loss")
        and table(["step", "validation loss"], [[str(p["step"]), f"{p['eval_loss']:.4f}"] for p in info["eval_loss"]]),
    }


def make_card(adapter_dir: Path, hub: Hub, results_dir: Path | None = None, all_results: Path = RESULTS) -> ModelCard:
    """The card of the adapter in ``adapter_dir``, scored by the files in ``results_dir`` (``results/<folder>``)."""
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
        **_tables(runs, every_run, edge_rows, all_results, reference),
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
        "--release",
        type=Path,
        default=RELEASE_FILE,
        help=f"the release file naming the Hub repos (default {RELEASE_FILE})",
    )
    args = parser.parse_args(argv)
    try:
        hub = Hub.of(load_release(args.release), args.all_results)
        card = make_card(args.adapter_dir, hub, args.results, args.all_results)
    except (CardError, ReleaseError) as err:
        parser.exit(2, f"release.model_card: error: {err}\n")
    card.save(args.adapter_dir / "README.md")
    results = args.results or args.all_results / args.adapter_dir.name
    print(f"{args.adapter_dir / 'README.md'}: written from {results}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
