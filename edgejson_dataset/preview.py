"""A readable terminal preview of the dataset: counts per split, band, style and schema, and examples side by side.

Usage: ``python -m edgejson_dataset preview`` (builds the data first when it is missing)
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections import Counter
from typing import Any

from edgejson.schemas import BANDS, schema_ids
from edgejson_dataset.build import DATASET_DIR, DEFAULT_SEED, SPLITS, generate, write
from edgejson_dataset.card import make_card
from edgejson_dataset.styles import ALL_STYLES
from edgejson_dataset.surface import STYLES


def load_rows() -> dict[str, list[dict[str, Any]]]:
    """The rows of every split of the dataset package's ``data/``, building them first when a file is missing."""
    folder = DATASET_DIR
    if not all((folder / "data" / f"{split}.jsonl").exists() for split in SPLITS):
        print(f"No data in {folder / 'data'} yet: building it (seed {DEFAULT_SEED})...")
        rows = generate(DEFAULT_SEED)
        write(rows, folder, make_card(rows, DEFAULT_SEED))
    return {
        split: [
            json.loads(line) for line in (folder / "data" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        for split in SPLITS
    }


def _grid(header: list[str], rows: list[list[Any]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    line = "  ".join(
        f"{h:<{w}}" if i == 0 else f"{h:>{w}}" for i, (h, w) in enumerate(zip(header, widths, strict=True))
    )
    out = [line, "-" * len(line)]
    out += [
        "  ".join(
            f"{str(c):<{w}}" if i == 0 else f"{str(c):>{w}}" for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    return "\n".join(out)


def _side_by_side(left: str, right: str, width: int) -> str:
    half = (width - 3) // 2
    lines_l = [w for para in left.splitlines() for w in (textwrap.wrap(para, half) or [""])]
    lines_r = [w for para in right.splitlines() for w in (textwrap.wrap(para, half, subsequent_indent="    ") or [""])]
    n = max(len(lines_l), len(lines_r))
    lines_l += [""] * (n - len(lines_l))
    lines_r += [""] * (n - len(lines_r))
    return "\n".join(f"{a:<{half}} │ {b}" for a, b in zip(lines_l, lines_r, strict=True))


def preview(examples: int = 3) -> None:
    """Print counts per split, band, style and schema, then ``examples`` test rows: text on the left, JSON right."""
    rows = load_rows()
    width = min(shutil.get_terminal_size((120, 40)).columns, 160)
    every = [r for split_rows in rows.values() for r in split_rows]
    print(f"EdgeJSON: {len(every)} rows, {len(schema_ids())} schemas ({DATASET_DIR / 'data'})\n")
    table = []
    for split, split_rows in rows.items():
        bands, styles = Counter(r["complexity"] for r in split_rows), Counter(r["style"] for r in split_rows)
        table.append(
            [split, len(split_rows), len({r["schema_id"] for r in split_rows})]
            + [bands[b] for b in BANDS]
            + [styles[s] for s in ALL_STYLES]
        )
    print(_grid(["split", "rows", "schemas", *BANDS, *ALL_STYLES], table), "\n")
    held = set(schema_ids(held_out=True))
    per_schema = []
    for sid in schema_ids():
        counts = Counter(r["id"].rsplit("-", 2)[0] for r in every if r["schema_id"] == sid)
        band = next(r["complexity"] for r in every if r["schema_id"] == sid)
        per_schema.append([sid + (" *" if sid in held else ""), band, *(counts[s] for s in SPLITS)])
    print(_grid(["schema (* held out)", "band", *SPLITS], per_schema), "\n")
    pool = rows["test"] + rows["test_unseen"]
    for n in range(examples):
        band, style = BANDS[n % len(BANDS)], STYLES[n % len(STYLES)]
        row = next(r for r in pool if r["complexity"] == band and r["style"] == style)
        title = f" {row['id']}  ·  {row['complexity']}  ·  {row['style']} "
        print(f"{title:═^{width}}")
        print(_side_by_side("TEXT\n" + row["text"], "EXPECTED JSON\n" + _compact(row["expected_output"]), width), "\n")


def _compact(expected: str) -> str:
    """One line per top-level key, each value as compact JSON."""
    obj = json.loads(expected)
    lines = [f'  "{key}": {json.dumps(value, ensure_ascii=False)}' for key, value in obj.items()]
    return "{\n" + ",\n".join(lines) + "\n}"
