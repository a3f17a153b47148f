"""Build the EdgeJSON splits: deterministic from a seed, validated, written atomically.

Usage: ``build(out=Path("edgejson_dataset"), seed=DEFAULT_SEED)`` or ``python -m edgejson_dataset build``
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

from tqdm import tqdm

from edgejson import format_answer
from edgejson.schemas import complexity_of, schema_ids
from edgejson_dataset.fill import fill
from edgejson_dataset.spec import load_spec
from edgejson_dataset.surface import STYLES, render
from edgejson_dataset.validate import BuildError, check_example, check_splits
from edgejson_dataset.values import Scope, pick_locale

DATASET_DIR = Path(__file__).resolve().parent
DEFAULT_SEED = 2025
DEFAULT_SIZES = {"train": 2400, "validation": 200, "test": 600, "test_unseen": 180}
SPLITS = tuple(DEFAULT_SIZES)
FIELDS = ("id", "schema_id", "complexity", "style", "text", "schema", "expected_output")


def split_schemas(split: str) -> list[str]:
    """Schema ids used by a split: the held-out ones for ``test_unseen``, the seen ones otherwise."""
    return schema_ids(held_out=split == "test_unseen")


def check_sizes(sizes: dict[str, int]) -> None:
    """Refuse unknown split names and sizes too small for every schema of the split to appear."""
    for split, size in sizes.items():
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; the splits are {', '.join(SPLITS)}")
        need = len(split_schemas(split))
        if not isinstance(size, int) or size < need:
            raise ValueError(f"size of {split} must be an integer >= {need} (one example per schema), got {size!r}")


def make_row(schema_id: str, split: str, k: int, style: str, seed: int, attempt: int = 0) -> dict[str, Any]:
    """Example ``k`` of ``schema_id`` in ``split``: the same arguments always give the same row."""
    spec = load_spec(schema_id)
    rng = random.Random(f"{seed}/{split}/{schema_id}/{k}/{attempt}")
    scope = Scope(rng, pick_locale(rng))
    scope.fake.seed_instance(rng.getrandbits(32))
    expected = fill(spec, scope)
    return {
        "id": f"{split}-{schema_id}-{k:04d}",
        "schema_id": schema_id,
        "complexity": complexity_of(schema_id),
        "style": style,
        "text": render(spec, expected, style, rng),
        "schema": json.dumps(spec.schema, ensure_ascii=False, separators=(",", ":")),
        "expected_output": format_answer(expected),
    }


def generate(seed: int = DEFAULT_SEED, sizes: dict[str, int] | None = None) -> dict[str, list[dict[str, Any]]]:
    """All splits as lists of validated rows (shuffled within each split)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    sizes = DEFAULT_SIZES | (sizes or {})
    check_sizes(sizes)
    plan = []
    for split in SPLITS:
        ids = split_schemas(split)
        for n, schema_id in enumerate(ids):
            count = sizes[split] // len(ids) + (n < sizes[split] % len(ids))
            plan += [(split, schema_id, k, STYLES[(k + n) % len(STYLES)]) for k in range(count)]
    rows: dict[str, list[dict[str, Any]]] = {split: [] for split in SPLITS}
    texts: set[str] = set()
    for split, schema_id, k, style in tqdm(plan, desc="building EdgeJSON", unit="ex", disable=None):
        for attempt in range(20):
            row = make_row(schema_id, split, k, style, seed, attempt)
            if row["text"] not in texts:
                break
        else:
            raise BuildError(f"{row['id']}: /: could not draw a text unlike the others in 20 attempts")
        check_example(row, load_spec(schema_id))
        texts.add(row["text"])
        rows[split].append(row)
    for split in SPLITS:
        random.Random(f"{seed}/{split}/order").shuffle(rows[split])
    check_splits(rows)
    return rows


def write(rows: dict[str, list[dict[str, Any]]], out: Path, card: str) -> None:
    """Write ``out/data/<split>.jsonl`` and ``out/README.md`` through a temporary folder, so a failure leaves none."""
    (out / "data").mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=out))
    try:
        for split, split_rows in rows.items():
            lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in split_rows)
            (tmp / f"{split}.jsonl").write_text(lines, encoding="utf-8")
        (tmp / "README.md").write_text(card, encoding="utf-8")
        for split in rows:
            os.replace(tmp / f"{split}.jsonl", out / "data" / f"{split}.jsonl")
        os.replace(tmp / "README.md", out / "README.md")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
