"""The README's results table, generated from the committed result files (never typed).

Usage: ``python -m release.readme`` rewrites the block between the markers in README.md; ``--check`` only compares.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from maaza.evaluation.results import RUNS, ResultsError, Run, decoding_mode, headline, read_run, results_files

START, END = "<!-- results:start -->", "<!-- results:end -->"
MODES = (
    decoding_mode(False),
    decoding_mode(True),
    decoding_mode(True, key_check=True, spans=True),
    decoding_mode(True, key_check=True, spans=True, value_check=True),
)
COLUMNS = tuple((split, mode) for split, mode in RUNS if mode in MODES)  # COLUMNS[0]: test, greedy


def _cell(value: float | None, percent: bool = True) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.1f}%" if percent else f"{value:.3f}"


def results_table(results_dir: Path) -> str:
    """One markdown row per evaluated model, best test JSONExact first; each cell from the model's headline run of
    that split and decoding (its run on the most examples; runs on other data files are no split)."""
    models: dict[str, dict] = {}
    best = headline(read_run(path) for path in results_files(results_dir))
    for (label, split, mode), run in best.items():
        row = models.setdefault(label, {"params": run.model.parameters, "adapter": bool(run.model.adapter)})
        row.setdefault("runs", {})[(split, mode)] = run
    exact_columns = [f"{split} JSONExact" + ("" if mode == MODES[0] else f", {mode}") for split, mode in COLUMNS]
    lines = [
        f"| Model | Params | Type | {exact_columns[0]} | test leaf F1 | {' | '.join(exact_columns[1:])} "
        "| tokens/s (test) | examples (test) | answer budget (test) |",
        "|---|---:|---|" + "---:|" * (len(COLUMNS) + 3) + "---|",
    ]

    def exact(row: dict, run: tuple[str, str]) -> float | None:
        return row["runs"][run].value("scores.json_exact") if run in row["runs"] else None

    for name, row in sorted(models.items(), key=lambda item: (-(exact(item[1], COLUMNS[0]) or -1), item[0])):
        test: Run | None = row["runs"].get(COLUMNS[0])
        cells = [
            name,
            f"{row['params'] / 1e6:.0f}M",
            "LoRA fine-tuned" if row["adapter"] else "zero-shot",
            _cell(exact(row, COLUMNS[0])),
            _cell(test.value("scores.leaf_f1") if test else None, percent=False),
            *(_cell(exact(row, run)) for run in COLUMNS[1:]),
            f"{test.value('performance.tokens_per_s'):.1f}" if test else "–",
            str(test.dataset.examples) if test else "–",
            test.budget_rule if test else "–",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release.readme", description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, default=Path("README.md"))
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--check", action="store_true", help="exit 1 when the README's table is out of date")
    args = parser.parse_args(argv)
    text = args.readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        print(f"{args.readme}: no {START} ... {END} block", file=sys.stderr)
        return 1
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    try:
        updated = f"{head}{START}\n{results_table(args.results)}\n{END}{tail}"
    except ResultsError as err:
        print(err, file=sys.stderr)
        return 1
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
