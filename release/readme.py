"""The README's results table, generated from the committed result files (never typed).

Usage: ``python -m release.readme`` rewrites the block between the markers in README.md; ``--check`` only compares.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

START, END = "<!-- results:start -->", "<!-- results:end -->"
RUNS = (("test", False), ("test", True), ("test_unseen", False), ("test_unseen", True))


def _cell(value: float | None, percent: bool = True) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.1f}%" if percent else f"{value:.3f}"


def results_table(results_dir: Path) -> str:
    """One markdown row per evaluated model (folder of ``results_dir``), best test JSONExact first."""
    models: dict[str, dict] = {}
    for path in sorted(results_dir.glob("*/*.json")):
        if path.parent.name == "reference":
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        row = models.setdefault(path.parent.name, {"params": data["model"]["parameters"], "runs": {}})
        row["adapter"] = bool(data["model"]["adapter"])
        row["runs"][(data["dataset"]["split"], bool(data["decoding"]["constrained"]))] = data
    lines = [
        "| Model | Params | Type | test JSONExact | test leaf F1 | test JSONExact, constrained "
        "| test_unseen JSONExact | test_unseen JSONExact, constrained | tokens/s (test) | examples (test) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def exact(row: dict, run: tuple[str, bool]) -> float | None:
        return row["runs"][run]["scores"]["json_exact"] if run in row["runs"] else None

    for name, row in sorted(models.items(), key=lambda item: (-(exact(item[1], RUNS[0]) or -1), item[0])):
        test = row["runs"].get(RUNS[0])
        cells = [
            name,
            f"{row['params'] / 1e6:.0f}M",
            "LoRA fine-tuned" if row["adapter"] else "zero-shot",
            _cell(exact(row, RUNS[0])),
            _cell(test["scores"]["leaf_f1"] if test else None, percent=False),
            *(_cell(exact(row, run)) for run in RUNS[1:]),
            f"{test['performance']['tokens_per_s']:.1f}" if test else "–",
            str(test["dataset"]["examples"]) if test else "–",
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
    updated = f"{head}{START}\n{results_table(args.results)}\n{END}{tail}"
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
