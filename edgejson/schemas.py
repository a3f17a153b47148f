"""Load and check JSON Schemas: EdgeJSON's own (by id) or any file, with errors that say where.

Usage: ``schema = load_schema("contact_info")`` or ``load_schema("my_schema.json")``
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError as _MetaError

from edgejson.answer import schema_json, schema_validator
from edgejson.resources import package_data

BANDS = ("simple", "medium", "complex")


def key_words(key: str) -> list[str]:
    """A key's words, lower-cased: ``"contactEmail"`` or ``"contact_email"`` -> ``["contact", "email"]``."""
    return [w.lower() for w in re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).replace("-", "_").split("_") if w]


class SchemaError(ValueError):
    """A schema that cannot be used; the message names its source and the JSON pointer of the fault."""


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def parse_schema(text: str, source: str = "<schema>") -> dict[str, Any]:
    """Parse a JSON Schema from text and check it against the Draft 2020-12 meta-schema."""
    try:
        schema = schema_json(text)
    except json.JSONDecodeError as err:
        raise SchemaError(f"{source}: not valid JSON at line {err.lineno}, column {err.colno}: {err.msg}") from None
    except ValueError as err:  # nested too deeply
        raise SchemaError(f"{source}: {err}") from None
    if not isinstance(schema, dict):
        raise SchemaError(f"{source}: a JSON Schema must be an object, got {type(schema).__name__} at /")
    try:
        Draft202012Validator.check_schema(schema)
    except _MetaError as err:
        raise SchemaError(f"{source}: invalid schema at {_pointer(err.path)}: {err.message}") from None
    if schema.get("type") != "object":
        raise SchemaError(f'{source}: the top-level schema must have "type": "object" at /type')
    try:
        schema_validator(schema)  # the metric's rules: every $ref resolves, within the schema, and none loops in place
    except ValueError as err:
        raise SchemaError(f"{source}: {err}") from None
    return schema


@cache
def _schema_dir() -> Path:
    """EdgeJSON's schemas: package data of the dataset (``edgejson_dataset/schemas``), wherever it is installed."""
    return package_data("edgejson_dataset", "schemas")


@cache
def _registry() -> dict[str, Path]:
    return {path.stem: path for band in BANDS for path in sorted((_schema_dir() / band).glob("*.json"))}


@cache
def _held_out() -> frozenset[str]:
    listing = _schema_dir() / "held_out.txt"
    if not listing.exists():
        return frozenset()
    return frozenset(line.strip() for line in listing.read_text().splitlines() if line.strip() and line[0] != "#")


def schema_ids(held_out: bool | None = None) -> list[str]:
    """EdgeJSON schema ids, sorted; ``held_out=True`` gives only the unseen ones, ``False`` only the seen ones."""
    ids = sorted(_registry())
    if held_out is None:
        return ids
    return [i for i in ids if (i in _held_out()) == held_out]


def complexity_of(schema_id: str) -> str:
    """The band (simple, medium, complex) of an EdgeJSON schema id."""
    return _path_of(schema_id).parent.name


def _path_of(schema_id: str) -> Path:
    try:
        return _registry()[schema_id]
    except KeyError:
        known = ", ".join(schema_ids())
        raise SchemaError(f"unknown schema id {schema_id!r}; EdgeJSON schema ids are: {known}") from None


def _parse_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise SchemaError(f"{path}: not valid UTF-8 (byte {err.start}): convert it to UTF-8 first") from None
    return parse_schema(text, str(path))


def load_schema(name_or_path: str | Path) -> dict[str, Any]:
    """An EdgeJSON schema by id, or a JSON Schema file by path; raises ``SchemaError`` saying what is wrong."""
    path = Path(name_or_path)
    if path.suffix == ".json" or path.exists():
        if not path.is_file():
            raise SchemaError(f"{path}: no such schema file")
        return _parse_file(path)
    return _parse_file(_path_of(str(name_or_path)))
