"""What the Space accepts, and how it judges an answer: input checks with clear messages, validation with paths.

Texts longer than ``MAX_TEXT_CHARS`` are refused (not truncated: a cut text would silently lose fields). A pasted
schema must be valid JSON, a valid Draft 2020-12 schema with an object at the top, and use only the keywords the
canonical prompt's template can express or validation checks (``SUPPORTED_KEYWORDS``).

Usage: ``schema = read_schema(pasted_text)``; ``errors = validation_errors(obj, schema)``
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from edgejson.schemas import SchemaError, parse_schema

MAX_TEXT_CHARS = 8_000  # ~2,000 tokens: well inside the bases' context, and seconds, not minutes, on a CPU
MAX_SCHEMA_CHARS = 20_000
SUPPORTED_KEYWORDS = frozenset(
    {
        # rendered into the prompt's template
        "type", "properties", "required", "items", "enum", "format",
        # checked when the answer is validated
        "additionalProperties", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
        # annotations
        "$schema", "$id", "$comment", "title", "description", "default", "examples",
    }
)  # fmt: skip


class InputError(ValueError):
    """Input the Space refuses; the message says what was wrong and where."""


def check_text(text: str | None) -> str:
    """The text to extract from, stripped; refuses an empty or an over-long text."""
    text = (text or "").strip()
    if not text:
        raise InputError("The text is empty: paste a text, or load an example from the test split.")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(
            f"The text has {len(text):,} characters; this demo accepts at most {MAX_TEXT_CHARS:,}. "
            "Shorten it to the passage that holds the fields."
        )
    return text


def _pointer(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def _unsupported(schema: Any, path: tuple[str, ...] = ()) -> list[str]:
    """JSON pointers of the keywords outside ``SUPPORTED_KEYWORDS``, in this schema and its subschemas."""
    if not isinstance(schema, dict):
        return []
    found = [_pointer(*path, key) for key in schema if key not in SUPPORTED_KEYWORDS]
    for name, sub in (schema.get("properties") or {}).items():
        found += _unsupported(sub, (*path, "properties", name))
    for key in ("items", "additionalProperties"):
        found += _unsupported(schema.get(key), (*path, key))
    return found


def read_schema(text: str | None) -> dict[str, Any]:
    """A pasted JSON Schema, parsed and checked; ``InputError`` names the line, column or JSON pointer at fault."""
    text = (text or "").strip()
    if not text:
        raise InputError("The schema box is empty: paste a JSON Schema, or pick an EdgeJSON schema.")
    if len(text) > MAX_SCHEMA_CHARS:
        raise InputError(f"The schema has {len(text):,} characters; this demo accepts at most {MAX_SCHEMA_CHARS:,}.")
    try:
        schema = parse_schema(text, "The schema box")
    except SchemaError as err:
        raise InputError(str(err)) from None
    unsupported = _unsupported(schema)
    if unsupported:
        shown = ", ".join(unsupported[:5]) + (f" and {len(unsupported) - 5} more" if len(unsupported) > 5 else "")
        raise InputError(
            f"The schema box uses keywords this demo does not support at {shown}. "
            f"Supported: {', '.join(sorted(SUPPORTED_KEYWORDS))}."
        )
    return schema


def validation_errors(value: Any, schema: dict[str, Any], limit: int = 5) -> list[str]:
    """Why ``value`` does not validate against ``schema`` (JSON pointer: message), deepest first; [] when valid."""
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(value), key=lambda e: (-len(e.absolute_path), list(map(str, e.path))))
    return [f"{_pointer(*map(str, e.absolute_path)) or '/'}: {e.message}" for e in errors[:limit]]


def pretty(value: Any) -> str:
    """Indented JSON for display, non-ASCII kept."""
    return json.dumps(value, indent=2, ensure_ascii=False)
