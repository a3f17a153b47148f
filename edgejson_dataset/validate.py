"""Checks run on every build: schema validity, recoverable leaves, no JSON in texts, no text in two splits, held-out
styles only in ``test_styles``.

A violation raises :class:`BuildError` naming the example id and the JSON pointer.

Usage: ``check_example(row, spec)``, then ``check_splits(rows_by_split)``
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from edgejson.formats import FORMAT_CHECKER
from edgejson_dataset.spec import Spec, join
from edgejson_dataset.styles import styles_of
from edgejson_dataset.surface import bool_forms, forms


class BuildError(ValueError):
    """The dataset violates one of its guarantees; the message names the example and the JSON path."""


@cache
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json), format_checker=FORMAT_CHECKER)


def _pointer(parts: list[Any]) -> str:
    return "/" + "/".join(str(p) for p in parts)


def _stated(value: Any, schema: dict[str, Any], fs: dict[str, Any], text: str) -> bool:
    if isinstance(value, bool):
        lowered = text.lower()
        return any(form.lower() in lowered for form in bool_forms(value, fs))
    candidates = forms(value, schema, fs)
    if "enum" in schema:
        lowered = text.lower()
        return any(form.lower() in lowered for form in candidates)
    return any(form in text for form in candidates)


def _leaves(value: Any, schema: dict[str, Any], path: str, pointer: list[Any]):
    """(value, schema, spec path, JSON pointer parts) for every scalar in ``value``."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _leaves(sub, schema["properties"][key], join(path, key), [*pointer, key])
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _leaves(item, schema["items"], path + "[]", [*pointer, n])
    else:
        yield value, schema, path, pointer


def check_example(row: dict[str, Any], spec: Spec) -> None:
    """Fail unless the expected output validates and every leaf of it is stated in the text."""
    expected = json.loads(row["expected_output"])
    for error in _validator(row["schema"]).iter_errors(expected):
        raise BuildError(f"{row['id']}: {_pointer(list(error.absolute_path))}: {error.message}")
    text = row["text"]
    if '{"' in text or row["expected_output"] in text:
        raise BuildError(f"{row['id']}: /: the text contains JSON")
    for value, schema, path, pointer in _leaves(expected, spec.schema, "", []):
        fs = spec.of(path) if not path.endswith("[]") else spec.of(path) or spec.of(path[:-2])
        if not _stated(value, schema, fs, text):
            raise BuildError(f"{row['id']}: {_pointer(pointer)}: value {value!r} is not stated in the text")


def check_splits(rows: dict[str, list[dict[str, Any]]]) -> None:
    """Fail if an id repeats, a text appears in two splits, or a row's style is not one of its split's (a held-out
    style outside ``test_styles``; ``split`` names a generated config's split too)."""
    seen_ids: set[str] = set()
    owner: dict[str, str] = {}
    for split, split_rows in rows.items():
        for row in split_rows:
            if row["style"] not in styles_of(split):
                raise BuildError(f"{row['id']}: /style: {row['style']!r} is not a style of split {split!r}")
            if row["id"] in seen_ids:
                raise BuildError(f"{row['id']}: /: the id appears twice")
            seen_ids.add(row["id"])
            if owner.get(row["text"], split) != split:
                raise BuildError(f"{row['id']}: /: its text also appears in split {owner[row['text']]!r}")
            owner[row["text"]] = split
