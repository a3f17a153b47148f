"""The tables of a model card, made from results files: the adapter's runs and their guards, the zero-shot
baselines, the original release's, and its edge builds against PyTorch, with the build the card recommends
(``recommended_build``).

Usage: ``table(RESULTS_HEADER, results_rows(runs))``; ``table(GUARDS_HEADER, guard_rows(runs, dataset_dir))``;
``table(PRECISION_HEADER, precision_rows(every_run))``
"""

from __future__ import annotations

from pathlib import Path

from edgejson.schemas import BANDS
from maaza.evaluation.guards import GuardsError, count_guards, split_examples
from maaza.evaluation.results import MODES, RUNS, Run
from maaza.evaluation.selection import headline

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
GUARDS_HEADER = [
    "split",
    "decoding",
    "answers with an empty string where the expected is not",
    "padded strings",
    "dropped values the text states verbatim (of all dropped)",
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


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


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
                pct(run.value("scores.json_exact")),
                *(pct(bands[band]["json_exact"]) if band in bands else "–" for band in BANDS),
                f"{run.value('scores.field_f1'):.3f}",
                f"{run.value('scores.leaf_f1'):.3f}",
                pct(run.value("scores.schema_valid")),
                f"{run.value('performance.tokens_per_s'):.1f}",
                f"`{run.path.name}`",
            ]
        )
    return rows


def guard_rows(runs: dict[tuple[str, str], Run], dataset_dir: Path) -> list[list[str]]:
    """One row per run, as :func:`results_rows` orders them: its guards (``maaza.evaluation.guards``), counted on the
    split in ``dataset_dir`` it scored; a row says why when that split cannot be read."""
    rows = []
    for split, mode in RUNS:
        if (split, mode) not in runs:
            continue
        run = runs[split, mode]
        try:
            guards = count_guards(run, split_examples(split, dataset_dir, run.dataset.sha256))
        except GuardsError as err:
            reason = str(err).replace("|", "\\|")
            rows.append([split, mode, f"not counted: {reason}", "–", "–", f"`{run.path.name}`"])
            continue
        dropped = sum(len(example.get("dropped") or ()) for example in run.examples)
        counts = [str(len(guards.empty_strings.ids)), str(guards.padded_strings.count)]
        rows.append([split, mode, *counts, f"{guards.stated_drops.count} of {dropped}", f"`{run.path.name}`"])
    return rows


def baseline_rows(runs: list[Run]) -> list[list[str]]:
    """Zero-shot models of the leaderboard (``runs``: every results file) on test, greedy decoding: the comparison the
    card makes."""
    best = headline(runs)
    return [
        [
            run.model.hub_id or run.model.name,
            f"{run.model.parameters / 1e6:.0f}M",
            str(run.dataset.examples),
            pct(run.value("scores.json_exact")),
            f"{run.value('scores.leaf_f1'):.3f}",
            pct(run.value("scores.schema_valid")),
        ]
        for (_, split, mode), run in sorted(best.items())
        if split == "test" and mode == "greedy" and not run.model.adapter
    ]


def _ids(run: Run) -> list[str]:
    return [example["id"] for example in run.examples]


def edge_groups(runs: list[Run]) -> list[tuple[Run, list[Run]]]:
    """Each PyTorch run with the runs of other engines on the same examples and decoding, by split, decoding and number
    of examples; a build with no such PyTorch run is left out. The browser page decodes constrained by llama.cpp's
    grammar: its reference is PyTorch greedy on the same examples."""

    def same_examples(torch_run: Run, run: Run) -> bool:
        mode = "greedy" if run.model.engine == "browser" else run.mode
        return (torch_run.dataset.name, torch_run.mode, _ids(torch_run)) == (run.dataset.name, mode, _ids(run))

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
                    pct(run.value("scores.json_exact")),
                    pct(same_parsed(run, torch_run)),
                    "–" if run.model.size_mb is None else f"{run.model.size_mb:.0f}",
                    f"{run.value('performance.examples_per_s'):.3f}",
                    f"{ratio:.2f}x" if same_cpu(run, torch_run) else "other CPU",
                    f"`{run.path.name}`",
                ]
            )
    return rows


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
        f"{run.mode}, it scores {pct(run.value('scores.json_exact'))} JSONExact against PyTorch's "
        f"{pct(torch_run.value('scores.json_exact'))}, and {pct(same)} of its answers parse to PyTorch's "
        f"(`{run.path.name}`).{speed}{single_stream(runs, run.model.precision)}"
    )
