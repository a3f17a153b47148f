"""The examples ``edgejson-eval`` scores, read and checked before any model loads: an EdgeJSON split or a JSONL file,
each row's text, schema and expected object, read under the metric's rules for JSON, and what the results file says
of them (``DataInfo``).

Usage: ``examples = load_examples("test")``; ``examples, dataset = read_data("test", None, None, None, limit=40)``
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from datasets import load_dataset

from edgejson.answer import REJECTIONS, Rejected, loads
from edgejson.schemas import BANDS, SchemaError, complexity_of, load_schema, parse_schema
from maaza.evaluation.results import EDGEJSON, DataInfo
from maaza.paths import default_dataset

TEXT_FIELDS = ("text", "prompt")


class DataError(ValueError):
    """Rows that cannot be evaluated; the message names the file, the row and what is missing."""


def _schema_of(row: dict[str, Any], where: str, schema_dir: Path | None) -> tuple[dict[str, Any], str, str | None]:
    """The row's JSON Schema, its id, and the complexity band its location tells (if any)."""
    schema_id = row.get("schema_id")
    if row.get("schema"):
        text = row["schema"] if isinstance(row["schema"], str) else json.dumps(row["schema"])
        return parse_schema(text, f"{where}, field schema"), schema_id or "", None
    if not schema_id:
        raise DataError(f"{where} has neither a schema nor a schema_id")
    if not isinstance(schema_id, str) or not re.fullmatch(r"[\w.-]+", schema_id):
        raise DataError(f"{where}: schema_id {schema_id!r} is not a schema name (letters, digits, _ . - only)")
    if schema_dir is not None:
        found = sorted(schema_dir.rglob(f"{schema_id}.json"))
        if found:
            band = found[0].parent.name
            return load_schema(found[0]), schema_id, band if band in BANDS else None
    try:
        return load_schema(schema_id), schema_id, complexity_of(schema_id)
    except SchemaError as err:
        hint = f" nor in {schema_dir}" if schema_dir else "; give the schemas folder with --schemas"
        raise DataError(f"{where}: schema {schema_id!r} is not an EdgeJSON schema{hint} ({err})") from None


def _strict_json(text: str, what: str) -> Any:
    """``text`` read as the metric reads a reference (``edgejson.answer.loads``); DataError saying ``what`` is not."""
    try:
        return loads(text)
    except json.JSONDecodeError as err:
        raise DataError(f"{what} is not valid JSON ({err})") from None
    except Rejected as err:
        raise DataError(f"{what} is not JSON the metric accepts ({REJECTIONS[err.kind]})") from None


def _read_jsonl(path: Path) -> list[tuple[str, Any]]:
    """The rows of a JSONL file, each with where it is (``FILE line N``), read under the metric's rules for JSON."""
    if not path.is_file():
        raise DataError(f"--data {path}: no such file")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise DataError(f"--data {path} is not valid UTF-8 (byte {err.start}): convert it to UTF-8 first") from None
    numbered = [(f"{path} line {number}", line) for number, line in enumerate(lines, 1) if line.strip()]
    return [(where, _strict_json(line, where)) for where, line in numbered]


def load_examples(
    split: str, data: Path | None = None, schema_dir: Path | None = None, dataset_dir: Path | None = None
) -> list[dict[str, Any]]:
    """Rows to evaluate: ``{id, text, schema, schema_id, complexity, expected}``, from a split or a JSONL file."""
    if data is None:
        dataset_dir = Path(dataset_dir or default_dataset())
        rows = load_dataset(str(dataset_dir), split=split)
        placed = [(f"{dataset_dir.name}/{split} row {i}", row) for i, row in enumerate(rows)]
    else:
        placed = _read_jsonl(data)
    examples = []
    for i, (where, row) in enumerate(placed):
        if not isinstance(row, dict):
            raise DataError(f"{where} is a JSON {type(row).__name__}, not an object with text and expected_output")
        text = next((row[f] for f in TEXT_FIELDS if row.get(f)), None)
        if text is None:
            raise DataError(f"{where} has no text (looked for {', '.join(TEXT_FIELDS)})")
        if not isinstance(text, str):
            raise DataError(f"{where}: its text is a {type(text).__name__}, not a string")
        expected = row.get("expected_output")
        if expected is None:
            raise DataError(f"{where} has no expected_output")
        if isinstance(expected, str):
            expected = _strict_json(expected, f"{where}: expected_output")
        if not isinstance(expected, dict):
            raise DataError(f"{where}: expected_output is not a JSON object")
        schema, schema_id, band = _schema_of(row, where, schema_dir)
        examples.append(
            {
                "id": row.get("id") or f"{i}",
                "text": text,
                "schema": schema,
                "schema_id": schema_id or "unnamed",
                "complexity": row.get("complexity") or band or "unlabelled",
                "expected": expected,
            }
        )
    return examples


def _file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fingerprint(examples: list[dict[str, Any]]) -> str:
    """SHA-256 over the rows as evaluated (schemas resolved): the identity of a data file's results."""
    return hashlib.sha256(json.dumps(examples, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def read_data(
    split: str,
    data: Path | None,
    schema_dir: Path | None,
    dataset_dir: Path | None,
    limit: int | None,
) -> tuple[list[dict[str, Any]], DataInfo]:
    """The rows to evaluate (the first ``limit``) and what the results file says of them."""
    dataset_dir = Path(dataset_dir or default_dataset())
    every = load_examples(split, data, schema_dir, dataset_dir)
    examples = every[:limit]
    if not examples:
        raise DataError("no examples to evaluate")
    data_file = data or dataset_dir / "data" / f"{split}.jsonl"
    dataset = DataInfo(
        split=None if data else split,
        examples=len(examples),
        source=str(data) if data else EDGEJSON,
        sha256=_file_sha256(data_file) if data_file.is_file() else None,
        fingerprint=_fingerprint(every),
        schemas=str(schema_dir) if schema_dir else None,
        limit=len(examples) if len(examples) < len(every) else None,
    )
    return examples, dataset
