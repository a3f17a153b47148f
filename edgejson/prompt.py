"""The canonical EdgeJSON prompt: one function that training, evaluation and the Space all use.

The prompt carries a compact typed *template* of the JSON Schema (keys, types, formats, enums,
which keys are optional), so any model can be asked for any schema, seen in training or not.

Usage: ``messages = build_prompt(row)`` then ``tokenizer.apply_chat_template(messages, add_generation_prompt=True)``
"""

from __future__ import annotations

import json
from typing import Any

from edgejson.answer import check_depth, schema_json

SYSTEM_PROMPT = (
    "Extract data from the text as one JSON object that follows the template: its keys, values of the stated "
    "types copied from the text. Leave out an optional key the text does not give."
)


def _leaf(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "one of " + "|".join(v if isinstance(v, str) else json.dumps(v) for v in schema["enum"])
    if "format" in schema:
        return schema["format"]
    kind = schema.get("type", "any")
    return " or ".join(kind) if isinstance(kind, list) else kind


def _template(schema: dict[str, Any] | bool) -> Any:
    """A subschema's template; a boolean subschema is ``true`` (anything) or ``false`` (nothing: left out)."""
    if isinstance(schema, bool):
        return "any"
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        out = {}
        for key, sub in schema.get("properties", {}).items():
            if sub is False:  # the key must not appear
                continue
            value = _template(sub)
            if key not in required:
                value = f"{value}, optional" if isinstance(value, str) else {"optional": value}
            out[key] = value
        return out
    if kind == "array":
        items = schema.get("items", True)
        return [] if items is False else [_template(items)]
    return _leaf(schema)


def schema_template(schema: dict[str, Any] | str) -> str:
    """Render a JSON Schema as a one-line typed template, e.g. ``{"name": "string", "age": "integer, optional"}``.

    A leaf reads as its type, its format (``date``, ``email``) or ``one of a|b|c``; an optional nested object or
    array is wrapped as ``{"optional": <template>}``; a ``true`` subschema reads ``any``, a ``false`` one is left out.
    ValueError when the schema nests deeper than ``edgejson.answer.MAX_SCHEMA_DEPTH``.
    """
    if isinstance(schema, str):
        schema = schema_json(schema)  # its depth checked
    else:
        check_depth(schema)
    return json.dumps(_template(schema), ensure_ascii=False)


def build_messages(schema: dict[str, Any] | str, text: str) -> list[dict[str, str]]:
    """Chat messages asking a model to extract ``schema`` from ``text``."""
    user = f"Template:\n{schema_template(schema)}\n\nText:\n{text}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def build_prompt(row: dict[str, Any]) -> list[dict[str, str]]:
    """The canonical prompt for an EdgeJSON row (its ``schema`` JSON string and its ``text``)."""
    return build_messages(row["schema"], row["text"])


def format_answer(value: Any) -> str:
    """The canonical completion: compact JSON, key order as given, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
