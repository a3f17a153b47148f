"""Time the edgejson metric on 10,000 raw predictions over EdgeJSON rows (mixed bands, schemas given).

Predictions are the rows' expected outputs, shaped like model outputs by a seeded draw: exact, chatty and fenced,
a wrong value, a missing field, an extra null, cut off, or prose. The figure is the wall time of
``metric.compute`` end to end (evaluate's Arrow round trip included), on the machine it names.
Usage: ``python scripts/bench_metric.py [--n 10000] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from collections import Counter
from pathlib import Path

import evaluate

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "edgejson_dataset" / "data"
METRIC = ROOT / "metrics" / "edgejson"
SHAPES = {"exact": 40, "chatty": 15, "wrong_value": 15, "missing_field": 10, "extra_null": 5, "cut": 10, "prose": 5}


def load_rows(n: int) -> list[dict]:
    """``n`` rows cycled from all splits, in file order."""
    rows = [json.loads(line) for path in sorted(DATA.glob("*.jsonl")) for line in path.open(encoding="utf-8")]
    if not rows:
        raise SystemExit(f"no rows under {DATA}: build the dataset first (python -m edgejson_dataset build)")
    return [rows[i % len(rows)] for i in range(n)]


def shape(expected: str, kind: str, rng: random.Random) -> str:
    """A raw model output of the given kind for an expected JSON string."""
    obj = json.loads(expected)
    key = rng.choice(list(obj))
    if kind == "chatty":
        return f"Here is the extracted data:\n```json\n{json.dumps(obj, indent=2)}\n```\nLet me know if you need more."
    if kind == "wrong_value":
        obj[key] = "???" if not isinstance(obj[key], str) else obj[key][::-1] + "x"
    elif kind == "missing_field":
        del obj[key]
    elif kind == "extra_null":
        obj["notes"] = None
    elif kind == "cut":
        return expected[: rng.randrange(1, len(expected))]
    elif kind == "prose":
        return "I could not find the requested information in the text."
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.open() if line.startswith("model name")), "")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{model or platform.processor()}, {os.cpu_count()} cores, Python {platform.python_version()}, load {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of predictions")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (the median is reported)")
    args = parser.parse_args()

    rng = random.Random(0)
    rows = load_rows(args.n)
    kinds = rng.choices(list(SHAPES), weights=list(SHAPES.values()), k=args.n)
    inputs = {
        "predictions": [shape(row["expected_output"], kind, rng) for row, kind in zip(rows, kinds, strict=True)],
        "references": [row["expected_output"] for row in rows],
        "schemas": [row["schema"] for row in rows],
        "complexities": [row["complexity"] for row in rows],
        "schema_ids": [row["schema_id"] for row in rows],
    }
    metric = evaluate.load(str(METRIC))
    bands = Counter(inputs["complexities"])
    print(f"machine: {machine()}")
    print(
        f"{args.n} predictions, {len(set(inputs['schemas']))} distinct schemas, "
        + ", ".join(f"{band} {bands[band]}" for band in ("simple", "medium", "complex"))
    )

    def timed(**kwargs) -> tuple[float, dict]:
        start = time.perf_counter()
        results = metric.compute(**kwargs)
        return time.perf_counter() - start, results

    for label, kwargs in (("with schemas", inputs), ("without schemas", {**inputs, "schemas": None})):
        runs = [timed(**kwargs) for _ in range(args.repeats)]
        seconds = [s for s, _ in runs]
        median = statistics.median(seconds)
        print(
            f"{label}: median {median:.2f} s over {args.repeats} runs "
            f"({', '.join(f'{s:.2f}' for s in seconds)}), {median / args.n * 1e6:.0f} us a prediction"
        )
    results = runs[0][1]
    scores = ", ".join(f"{k} {results[k]:.3f}" for k in ("json_exact", "field_f1", "leaf_f1", "parse_rate"))
    print(f"scores of the drawn predictions (a sanity check, not a result): {scores}")


if __name__ == "__main__":
    main()
