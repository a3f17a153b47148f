"""The README's results table, generated from the committed result files (never typed).

One row per released model (a model repo of ``release.yaml``, its ``results:`` folder) and per zero-shot baseline; per
split, JSONExact greedy and in the model's recommended decoding (its card's rule,
:func:`maaza.evaluation.selection.recommended_mode`). Other adapters, engines and modes stay in ``results/``.

Usage: ``python -m release.readme`` rewrites the block between the markers in README.md; ``--check`` only compares.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection
from pathlib import Path

from maaza.evaluation.results import SPLITS, ResultsError, Run, decoding_mode, read_run, results_files
from maaza.evaluation.selection import default_models, headline, recommended_mode
from release.config import ReleaseError, load_release

START, END = "<!-- results:start -->", "<!-- results:end -->"
GREEDY = decoding_mode(False)
LEGEND = (
    "JSONExact per split, greedy and in the model's recommended decoding (its card's rule: the mode with the highest "
    "JSONExact on the held-out splits, test_unseen + test_styles, or on test for a model never run on them in two "
    "modes; a zero-shot baseline ran greedy only), each from the model's run on the most examples. "
    "(first N): only the first N examples of the split were scored; †: the answer budget came from the expected "
    "answer (runs made before 0.2)."
)


def released_results(release_file: Path) -> set[str]:
    """The results folders (model labels) of the model repos that ``release_file`` publishes."""
    return {repo.results.name for repo in load_release(release_file).repos if repo.results}


def _cell(run: Run | None) -> str:
    """``65.5%``, ``21.7% (first 120)`` for a run on the first N examples only, ``†`` after it when the run sized its
    answer budget from the expected answer; ``–`` for no run."""
    if run is None:
        return "–"
    first = f" (first {run.dataset.examples})" if run.dataset.limit else ""
    budget = "†" if run.budget_rule == "expected answer" else ""
    return f"{100 * run.value('scores.json_exact'):.1f}%{first}{budget}"


def _row(label: str, runs: dict[tuple[str, str], Run], mode: str) -> list[str]:
    """A model's row: per split its greedy cell, then its recommended mode's (``= greedy`` when that is greedy)."""
    model = next(iter(runs.values())).model
    cells = []
    for split in SPLITS:
        greedy = runs.get((split, GREEDY))
        cells += [_cell(greedy), "= greedy" if mode == GREEDY and greedy else _cell(runs.get((split, mode)))]
    return [label, f"{model.parameters / 1e6:.0f}M", "LoRA fine-tuned" if model.adapter else "zero-shot", mode, *cells]


def results_table(results_dir: Path, released: Collection[str]) -> str:
    """The rows of :func:`maaza.evaluation.selection.default_models`, best JSONExact on test in the recommended mode
    first (none last), then the legend, naming the adapters left out."""
    runs = [read_run(path) for path in results_files(results_dir)]
    models = default_models(runs, released)
    modes = {label: recommended_mode(model_runs)[0] for label, model_runs in models.items()}

    def rank(label: str) -> tuple[float, str]:
        test = models[label].get(("test", modes[label]))
        return -(test.value("scores.json_exact") if test else -1), label

    header = ["Model", "Params", "Type", "Recommended decoding"]
    header += [f"{split} {which}" for split in SPLITS for which in ("greedy", "recommended")]
    lines = ["| " + " | ".join(header) + " |", "|---|---:|---|---|" + "---:|" * 2 * len(SPLITS)]
    lines += ["| " + " | ".join(_row(label, models[label], modes[label])) + " |" for label in sorted(models, key=rank)]
    others = sorted({label for label, _, _ in headline(runs)} - set(models))
    left_out = (
        f" Other adapters in `results/`: {', '.join(others)}; they, the ONNX builds and the other decoding modes "
        "are on the Space's leaderboard (*Show all runs*)."
    )
    return "\n".join([*lines, "", LEGEND + (left_out if others else "")])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release.readme", description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, default=Path("README.md"))
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--release", type=Path, default=Path("release.yaml"), help="whose model repos are released")
    parser.add_argument("--check", action="store_true", help="exit 1 when the README's table is out of date")
    args = parser.parse_args(argv)
    text = args.readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        print(f"{args.readme}: no {START} ... {END} block", file=sys.stderr)
        return 1
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    try:
        table = results_table(args.results, released_results(args.release))
    except (ResultsError, ReleaseError) as err:
        print(err, file=sys.stderr)
        return 1
    updated = f"{head}{START}\n{table}\n{END}{tail}"
    if args.check:
        if updated != text:
            print(f"{args.readme}: the results table is out of date; run `python -m release.readme`", file=sys.stderr)
            return 1
        return 0
    args.readme.write_text(updated, encoding="utf-8")
    print(f"{args.readme}: results table written from {args.results}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
