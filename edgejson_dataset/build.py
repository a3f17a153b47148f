"""Build the EdgeJSON splits: deterministic from a seed, validated, written atomically.

Usage: ``build(out=Path("edgejson_dataset"), seed=DEFAULT_SEED)`` or ``python -m edgejson_dataset build``
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from edgejson import format_answer
from edgejson.schemas import complexity_of, schema_ids
from edgejson_dataset.fill import fill
from edgejson_dataset.spec import Spec, load_spec
from edgejson_dataset.styles import render, styles_of
from edgejson_dataset.synth import band_of, check_unseen, make_specs
from edgejson_dataset.validate import BuildError, check_example, check_splits
from edgejson_dataset.values import Scope, pick_locale
from edgejson_dataset.widen import widen

DATASET_DIR = Path(__file__).resolve().parent
DEFAULT_SEED = 2025
DEFAULT_SIZES = {"train": 2400, "validation": 200, "test": 600, "test_unseen": 180, "test_styles": 300}
SPLITS = tuple(DEFAULT_SIZES)
# The configs of training-only schemas (edgejson_dataset.synth), as (schemas, rows per schema) per split: ``generated``
# in every band, ``nested`` complex ones whose array items hold nested objects and arrays of objects.
GENERATED_CONFIGS = {
    "generated": {"train": (360, 10), "validation": (40, 2)},
    "nested": {"train": (120, 10), "validation": (20, 2)},
}


def split_schemas(split: str) -> list[str]:
    """Schema ids used by a split: the held-out ones for ``test_unseen``, the seen ones otherwise (``test_styles``:
    the seen schemas in the held-out styles of :mod:`edgejson_dataset.styles`)."""
    return schema_ids(held_out=split == "test_unseen")


def check_sizes(sizes: dict[str, int]) -> None:
    """Refuse unknown split names and sizes too small for every schema of the split to appear."""
    for split, size in sizes.items():
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; the splits are {', '.join(SPLITS)}")
        need = len(split_schemas(split))
        if not isinstance(size, int) or size < need:
            raise ValueError(f"size of {split} must be an integer >= {need} (one example per schema), got {size!r}")


def make_row(
    spec: Spec, complexity: str, split: str, k: int, style: str, seed: int, attempt: int = 0
) -> dict[str, Any]:
    """Example ``k`` of ``spec``'s schema (of band ``complexity``) in ``split``: the same arguments, the same row.

    A ``train`` row's values are widened (:mod:`edgejson_dataset.widen`) by a draw of their own, so the draws of every
    other split stay as they were.
    """
    schema_id = spec.schema_id
    rng = random.Random(f"{seed}/{split}/{schema_id}/{k}/{attempt}")
    scope = Scope(rng, pick_locale(rng))
    scope.fake.seed_instance(rng.getrandbits(32))
    expected = fill(spec, scope)
    if split == "train":
        expected = widen(spec, expected, random.Random(f"{seed}/{split}/{schema_id}/{k}/{attempt}/widen"))
    return {
        "id": f"{split}-{schema_id}-{k:04d}",
        "schema_id": schema_id,
        "complexity": complexity,
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
            styles = styles_of(split)
            plan += [(split, schema_id, k, styles[(k + n) % len(styles)]) for k in range(count)]
    specs = [(split, load_spec(schema_id), k, style) for split, schema_id, k, style in plan]
    rows = _rows(specs, seed, set(), lambda spec: complexity_of(spec.schema_id))
    check_splits(rows)
    return rows


def _rows(
    plan: list[tuple[str, Spec, int, str]], seed: int, texts: set[str], band: Callable[[Spec], str]
) -> dict[str, list[dict[str, Any]]]:
    """Validated rows for a plan of (split, spec, k, style), shuffled within each split; ``band`` gives a spec's
    complexity band; ``texts`` grows. A draw whose text repeats another's, or that fails validation (a rare value that
    a phrasing cannot state as it is, such as a street ending in a space inside an array item), is drawn again; after
    20 draws the build fails with the last reason."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for split, spec, k, style in tqdm(plan, desc="building EdgeJSON", unit="ex", disable=None):
        complexity = band(spec)
        for attempt in range(20):
            row = make_row(spec, complexity, split, k, style, seed, attempt)
            if row["text"] in texts:
                error = BuildError(f"{row['id']}: /: could not draw a text unlike the others in 20 attempts")
                continue
            try:
                check_example(row, spec)
            except BuildError as err:
                error = err
                continue
            break
        else:
            raise error
        texts.add(row["text"])
        rows.setdefault(split, []).append(row)
    for split, split_rows in rows.items():
        random.Random(f"{seed}/{split}/order").shuffle(split_rows)
    return rows


def generate_generated(
    seed: int = DEFAULT_SEED,
    sizes: dict[str, tuple[int, int]] | None = None,
    texts: set[str] | None = None,
    config: str = "generated",
) -> dict[str, list[dict[str, Any]]]:
    """A config of :data:`GENERATED_CONFIGS`: rows of training-only schemas, none too close to a held-out schema.

    ``sizes`` maps a split to (schemas, rows per schema); each split has schemas of its own.
    """
    if config not in GENERATED_CONFIGS:
        raise ValueError(f"unknown generated config {config!r}; they are {', '.join(GENERATED_CONFIGS)}")
    nested = config == "nested"
    sizes = sizes or GENERATED_CONFIGS[config]
    total = sum(n for n, _ in sizes.values())
    specs = make_specs(random.Random(f"{seed}/{config}/schemas"), total, "nest" if nested else "gen", nested)
    plan, start = [], 0
    for split, (n_schemas, per_schema) in sizes.items():
        for n, spec in enumerate(specs[start : start + n_schemas]):
            check_unseen(spec.schema, spec.schema_id, spec.topic)
            styles = styles_of(split)
            plan += [(split, spec, k, styles[(k + n) % len(styles)]) for k in range(per_schema)]
        start += n_schemas
    rows = _rows(plan, seed, set() if texts is None else texts, lambda spec: band_of(spec.schema))
    check_splits(rows)
    return rows


def write(
    rows: dict[str, list[dict[str, Any]]],
    out: Path,
    card: str,
    generated: dict[str, dict[str, list[dict[str, Any]]]] | None = None,
) -> None:
    """Write ``out/data/<split>.jsonl``, ``out/data/<config>/<split>.jsonl`` for each generated config and
    ``out/README.md`` through a temporary folder, so a failure leaves none."""
    files = {Path("data") / f"{split}.jsonl": split_rows for split, split_rows in rows.items()}
    for config, config_rows in (generated or {}).items():
        files |= {Path("data") / config / f"{split}.jsonl": split_rows for split, split_rows in config_rows.items()}
    for folder in {path.parent for path in files}:
        (out / folder).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=out))
    try:
        for n, split_rows in enumerate(files.values()):
            lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in split_rows)
            (tmp / f"{n}.jsonl").write_text(lines, encoding="utf-8")
        (tmp / "README.md").write_text(card, encoding="utf-8")
        for n, path in enumerate(files):
            os.replace(tmp / f"{n}.jsonl", out / path)
        os.replace(tmp / "README.md", out / "README.md")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
