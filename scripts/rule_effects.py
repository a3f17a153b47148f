"""Each check rule's effect by itself, replayed offline from results files made with the checks: per rule, the
examples it makes exact (fixed) and those it makes wrong (broken), against the same answers without it.

Two views, both from each example's stored ``raw_output`` (the constrained decoding and span rule stay as they ran):
``alone``: the decoded answer against the answer with only that rule; ``left out``: every rule against every rule but
that one. The key check needs the model's scores, so its drops are the ones the file records, applied where the answer
still has such an optional key; a value rule left out may have changed what the key check would have dropped.

Usage: ``python scripts/rule_effects.py results/maaza-mlm-135m-json/*-keycheck-valuecheck.json --out effects.json``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import evaluate

from edgejson.answer import read_answer
from edgejson.schemas import parse_schema
from maaza.checks import values
from maaza.checks.paths import dotted, optional_keys, without
from maaza.paths import default_dataset

KEY_CHECK = "key check"


def checked(example: dict[str, Any], row: dict[str, Any], rules: set[str]) -> Any:
    """The example's answer after the checks in ``rules`` (value rule names, and :data:`KEY_CHECK`)."""
    answer = read_answer(example["raw_output"]).value
    if not isinstance(answer, dict):
        return answer
    schema = parse_schema(row["schema"])
    answer, _, _ = values.check_values(
        row["text"], schema, answer, [rule for rule in values.RULES if rule.name in rules]
    )
    if KEY_CHECK in rules:
        for key in example.get("dropped", []):
            paths = {dotted(at): at for at, _, _ in optional_keys(answer, schema)}
            if key in paths:
                answer = without(answer, paths[key])
    return answer


def exact(metric: Any, answers: list[Any], rows: list[dict[str, Any]]) -> list[float]:
    """Each answer's JSONExact, as the EdgeJSON metric scores it."""
    scores = metric.compute(
        predictions=["" if answer is None else json.dumps(answer, ensure_ascii=False) for answer in answers],
        references=[row["expected_output"] for row in rows],
        schemas=[row["schema"] for row in rows],
        return_details=True,
    )
    return [detail["json_exact"] for detail in scores["details"]]


def effects(path: Path, metric: Any, dataset: Path) -> dict[str, Any]:
    """Per rule of the file's checks, the ids it fixes and breaks, alone and left out."""
    run = json.loads(path.read_text())
    examples = run["examples"]
    data = dataset / "data" / f"{run['dataset']['split']}.jsonl"
    if hashlib.sha256(data.read_bytes()).hexdigest() != run["dataset"]["sha256"]:
        raise SystemExit(f"{data} is not the split {path} scored")
    split = {row["id"]: row for row in map(json.loads, data.read_text().splitlines())}
    rows = [split[example["id"]] for example in examples]
    names = [rule.name for rule in values.RULES] + [KEY_CHECK]

    def scores(rules: set[str]) -> list[float]:
        return exact(metric, [checked(example, row, rules) for example, row in zip(examples, rows, strict=True)], rows)

    def compare(without_it: list[float], with_it: list[float]) -> dict[str, list[str]]:
        pairs = list(zip(examples, without_it, with_it, strict=True))
        return {
            "fixed": [example["id"] for example, a, b in pairs if b > a],
            "broken": [example["id"] for example, a, b in pairs if a > b],
        }

    none, every = scores(set()), scores(set(names))
    table = {}
    for name in names:
        table[name] = {"alone": compare(none, scores({name})), "left_out": compare(scores(set(names) - {name}), every)}
    return {
        "file": str(path),
        "split": run["dataset"]["split"],
        "examples": len(examples),
        "exact_without_checks": sum(none),
        "exact_with_every_check": sum(every),
        "rules": table,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="results files made with the key and value checks")
    parser.add_argument("--dataset", type=Path, default=None, help="the EdgeJSON dataset folder")
    parser.add_argument("--metric", default="metrics/edgejson", help="the EdgeJSON metric")
    parser.add_argument("--out", type=Path, help="write the effects here as JSON")
    args = parser.parse_args(argv)
    metric = evaluate.load(args.metric)
    dataset = args.dataset or default_dataset()
    report = [effects(path, metric, dataset) for path in args.files]
    for item in report:
        print(
            f"\n{item['file']}: exact {item['exact_without_checks']:.0f} without checks, "
            f"{item['exact_with_every_check']:.0f} with every check, of {item['examples']}"
        )
        print(f"{'rule':24} {'alone +/-':>10} {'left out +/-':>13}")
        for name, rule in item["rules"].items():
            alone, out = rule["alone"], rule["left_out"]
            counts = len(alone["fixed"]), len(alone["broken"]), len(out["fixed"]), len(out["broken"])
            print(f"{name:24} {counts[0]:>4}/{counts[1]:<5} {counts[2]:>6}/{counts[3]}")
    if args.out:
        made = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "command": " ".join(["python", *sys.argv])}
        args.out.write_text(json.dumps({"made": made, "effects": report}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
