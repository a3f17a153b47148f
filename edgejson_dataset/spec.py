"""Generation specs: ``specs/<schema_id>.yaml`` says how to fill and phrase every field of a schema.

A spec holds ``topic`` (what the text is about), optional ``intro`` and ``noise`` sentences, optional ``pools``
(lists of coherent records, e.g. a diagnosis code with its description) and ``fields``, keyed by path:
``customer.name``, ``items[].sku``, ``tags[]``. Field keys:

- ``gen`` (a generator, see :mod:`edgejson_dataset.values`) with ``choices`` for ``gen: choice``, or ``derive``
  (arithmetic over the siblings, e.g. ``quantity * unit_price``) with ``decimals`` (default 2);
- ``label`` (default: the key in words), ``say`` (prose templates with ``{v}``; for an object, ``{child}``
  placeholders; for a boolean, sentences keyed true/false), ``words`` (a boolean's values in words, keyed
  true/false), ``alias`` (a shorter log key), ``unit`` (e.g. ``"{v} kg"`` in label styles), ``digits`` (never
  spell the integer as a word);
- ``p`` (chance an optional field is present, default 0.75), ``count`` ([min, max] items of an array),
  ``unique`` (no two items of an array share the value); ``forms: wide`` (a date or date-time may be written in
  many more ways, see :func:`edgejson_dataset.surface.forms`);
- ``each`` (arrays of objects, required): templates for one item, ``{field}`` / ``{obj.field}`` / ``{array}``
  placeholders, ``[...]`` around a part that needs an optional field.

Usage: ``spec = load_spec("invoice")``
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from edgejson.schemas import load_schema

SPEC_DIR = Path(__file__).resolve().parent / "specs"
LEAF_KEYS = {
    "gen",
    "derive",
    "choices",
    "label",
    "say",
    "alias",
    "p",
    "decimals",
    "unit",
    "words",
    "count",
    "each",
    "digits",
    "unique",
    "forms",
}
DERIVE_HELPERS = {"total", "count", "sumprod", "randint", "pick"}
_DERIVE_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant, ast.Subscript, ast.List, ast.Load,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.USub,
)  # fmt: skip


class SpecError(ValueError):
    """A spec that cannot be used; the message names the spec file and the field."""


@dataclass(frozen=True)
class Spec:
    """How to generate and phrase the examples of one schema."""

    schema_id: str
    schema: dict[str, Any]
    topic: str
    intro: list[str] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)
    pools: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)

    def of(self, path: str) -> dict[str, Any]:
        """The spec of the field at ``path`` (empty for an object without one)."""
        return self.fields.get(path, {})


def join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def schema_paths(schema: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Every field path of a schema with its sub-schema: ``items``, ``items[]``, ``items[].sku``..."""
    out: dict[str, dict[str, Any]] = {}
    for key, sub in schema.get("properties", {}).items():
        path = join(prefix, key)
        out[path] = sub
        if sub.get("type") == "object":
            out |= schema_paths(sub, path)
        elif sub.get("type") == "array":
            items = sub["items"]
            out[path + "[]"] = items
            if items.get("type") == "object":
                out |= schema_paths(items, path + "[]")
    return out


def check_derive(expr: str) -> None:
    """Refuse anything but arithmetic, names, subscripts and the helper functions in a ``derive`` expression."""
    tree = ast.parse(expr, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _DERIVE_NODES):
            raise ValueError(f"{type(node).__name__} is not allowed in derive {expr!r}")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in DERIVE_HELPERS):
            raise ValueError(f"only {sorted(DERIVE_HELPERS)} may be called in derive {expr!r}")


def check_spec(spec: Spec, source: str) -> None:
    """Raise :class:`SpecError` unless every leaf of the schema is covered and every field spec is usable."""
    paths = schema_paths(spec.schema)
    for path, fs in spec.fields.items():
        where = f"{source}: fields/{path}"
        if path not in paths:
            raise SpecError(f"{where}: no such field in schema {spec.schema_id!r}")
        if unknown := set(fs) - LEAF_KEYS:
            raise SpecError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(LEAF_KEYS)}")
        if "derive" in fs:
            try:
                check_derive(fs["derive"])
            except (SyntaxError, ValueError) as err:
                raise SpecError(f"{where}: {err}") from None
        if fs.get("gen", "").startswith("choice") and not fs.get("choices"):
            raise SpecError(f"{where}: gen 'choice' needs a non-empty 'choices' list")
        if fs.get("gen", "").startswith("pool ") and fs["gen"].split()[1] not in spec.pools:
            raise SpecError(f"{where}: unknown pool {fs['gen'].split()[1]!r}")
        templates = fs.get("each", []) + (fs["say"] if isinstance(fs.get("say"), list) else [])
        for template in templates:
            if template.count("[") != template.count("]"):
                raise SpecError(f"{where}: unbalanced [ ] in template {template!r}")
    for path, sub in paths.items():
        is_leaf = sub.get("type") not in ("object", "array")
        fs = spec.fields.get(path, {})
        if is_leaf and not ({"gen", "derive"} & set(fs)):
            raise SpecError(f"{source}: fields/{path}: a leaf needs 'gen' or 'derive'")
        if sub.get("type") == "array" and sub["items"].get("type") == "object" and not fs.get("each"):
            raise SpecError(f"{source}: fields/{path}: an array of objects needs 'each' templates for its items")
        if sub.get("type") == "boolean" and not isinstance(fs.get("say", {}), dict):
            raise SpecError(f"{source}: fields/{path}: a boolean's 'say' maps true/false to sentences")


@cache
def load_spec(schema_id: str) -> Spec:
    """The spec of an EdgeJSON schema, checked against the schema (every leaf covered, no unknown field)."""
    schema = load_schema(schema_id)
    path = SPEC_DIR / f"{schema_id}.yaml"
    if not path.is_file():
        raise SpecError(f"{path}: missing; every schema needs a generation spec")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise SpecError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(raw, dict) or "topic" not in raw:
        raise SpecError(f"{path}: a spec is a YAML mapping with at least 'topic' and 'fields', got {raw!r:.60}")
    unknown = set(raw) - {"topic", "intro", "noise", "pools", "fields"}
    if unknown:
        raise SpecError(f"{path}: unknown top-level keys {sorted(unknown)}")
    spec = Spec(
        schema_id=schema_id,
        schema=schema,
        topic=raw["topic"],
        intro=raw.get("intro", []),
        noise=raw.get("noise", []),
        pools=raw.get("pools", {}),
        fields={str(k): v or {} for k, v in raw.get("fields", {}).items()},
    )
    check_spec(spec, str(path))
    return spec


def placeholders(template: str) -> list[str]:
    """Field names used by a template: ``"{qty} x {name}"`` -> ``["qty", "name"]``."""
    return re.findall(r"\{([^{}]+)\}", template)
