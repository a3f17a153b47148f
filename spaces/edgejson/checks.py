"""What the Space accepts: input checks with clear messages, and the limits on the work one request may take.

Texts longer than ``MAX_TEXT_CHARS`` are refused (not truncated: a cut text would silently lose fields). A pasted
schema must be valid JSON, a valid Draft 2020-12 schema with an object at the top, at most ``MAX_SCHEMA_PROPERTIES``
properties, and use only the keywords the canonical prompt's template can express or validation checks
(``SUPPORTED_KEYWORDS``). An answer gets at most ``MAX_ANSWER_TOKENS`` tokens and ``MAX_SECONDS`` of generation.
Answers are read and validated by ``edgejson.answer``, as the metric reads them.

Usage: ``schema = read_schema(pasted_text)``
"""

from __future__ import annotations

import json
from typing import Any

from edgejson.schemas import SchemaError, parse_schema
from maaza.inference.decoding import Decoding, DecodingError

MAX_TEXT_CHARS = 8_000  # ~2,000 tokens: well inside the bases' context, and seconds, not minutes, on a CPU
MAX_SCHEMA_CHARS = 20_000
MAX_SCHEMA_PROPERTIES = 60  # EdgeJSON's largest schema has 23
MAX_ANSWER_TOKENS = 1_536  # EdgeJSON's longest answers, indented, fit; about a minute on a CPU
MAX_SECONDS = 90  # of generation per request: one request never holds the model for minutes
LIMITS = (
    f"Limits per request: a text of {MAX_TEXT_CHARS:,} characters; a schema of {MAX_SCHEMA_CHARS:,} characters and "
    f"{MAX_SCHEMA_PROPERTIES} properties; an answer of {MAX_ANSWER_TOKENS:,} tokens and {MAX_SECONDS} seconds."
)
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


# The decoding options as the Extract tab's checkboxes name them (the Space runs every model on the torch engine).
CHECKBOXES = {
    "spans": "The Span rule",
    "constrained": "tick Constrained decoding too.",
    "torch": "pick another model.",
}


def read_decoding(constrained: bool, spans: bool, key_check: bool, value_check: bool) -> Decoding:
    """The decoding the checkboxes ask for (on the torch engine); ``InputError`` in the checkboxes' terms when they do
    not go together (``maaza.inference.decoding``)."""
    try:
        return Decoding(constrained=constrained, spans=spans, key_check=key_check, value_check=value_check)
    except DecodingError as err:
        raise InputError(err.say(CHECKBOXES)) from None


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


def _count_properties(schema: Any) -> int:
    """Properties declared in the schema and its subschemas (counted iteratively)."""
    count, pending = 0, [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            subschemas = node.get("properties")
            if isinstance(subschemas, dict):
                count += len(subschemas)
                pending += subschemas.values()
            pending += [node.get("items"), node.get("additionalProperties")]
    return count


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
    properties = _count_properties(schema)
    if properties > MAX_SCHEMA_PROPERTIES:
        raise InputError(
            f"The schema has {properties} properties; this demo accepts at most {MAX_SCHEMA_PROPERTIES}, "
            "so that one request cannot hold the model for minutes."
        )
    unsupported = _unsupported(schema)
    if unsupported:
        shown = ", ".join(unsupported[:5]) + (f" and {len(unsupported) - 5} more" if len(unsupported) > 5 else "")
        raise InputError(
            f"The schema box uses keywords this demo does not support at {shown}. "
            f"Supported: {', '.join(sorted(SUPPORTED_KEYWORDS))}."
        )
    return schema


def pretty(value: Any) -> str:
    """Indented JSON for display, non-ASCII kept."""
    return json.dumps(value, indent=2, ensure_ascii=False)
