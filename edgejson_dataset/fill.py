"""Fill a schema with values: the expected output of one example, derived fields kept consistent.

Usage: ``obj = fill(load_spec("invoice"), scope)``
"""

from __future__ import annotations

import ast
from typing import Any

from edgejson_dataset.spec import Spec, join
from edgejson_dataset.values import Scope, generate

DEFAULT_PRESENCE = 0.75


def _helpers(scope: Scope) -> dict[str, Any]:
    return {
        "total": lambda items, key: sum(item.get(key, 0) for item in items),
        "count": len,
        "sumprod": lambda items, a, b: sum(item[a] * item[b] for item in items),
        "randint": scope.rng.randint,
        "pick": scope.rng.choice,
    }


def derive(expr: str, scope: Scope) -> Any:
    """Evaluate a checked ``derive`` expression over the siblings (they shadow helpers), ``up`` and ``root``."""
    names = _helpers(scope) | dict(scope.here) | {"root": scope.objects[0]}
    if len(scope.objects) > 1:
        names["up"] = scope.objects[-2]
    code = compile(ast.parse(expr, mode="eval"), "<derive>", "eval")
    return eval(code, {"__builtins__": {}}, names)  # noqa: S307 - expression checked by spec.check_derive


def _typed(value: Any, schema: dict[str, Any], fs: dict[str, Any]) -> Any:
    """A derived value as its schema type: integers rounded to whole, numbers to ``decimals`` (default 2)."""
    if schema.get("type") == "integer":
        return int(round(value))
    if schema.get("type") == "number":
        return round(float(value), fs.get("decimals", 2))
    return value


def _value(spec: Spec, schema: dict[str, Any], path: str, scope: Scope) -> Any:
    kind = schema.get("type")
    if kind == "object":
        return _object(spec, schema, path, scope)
    if kind == "array":
        fs = spec.of(path)
        lo, hi = fs.get("count", [schema.get("minItems", 1), schema.get("maxItems", schema.get("minItems", 1) + 2)])
        target, items = scope.rng.randint(lo, hi), []
        for _ in range(50 * target):
            if len(items) == target:
                break
            item = _value(spec, schema["items"], path + "[]", scope)
            if item not in items and not any(_clash(item, other, spec, path) for other in items):
                items.append(item)
        return items
    fs = spec.of(path)
    try:
        return generate(fs["gen"], scope, schema, fs)
    except (KeyError, ValueError, IndexError) as err:
        raise ValueError(f"{spec.schema_id}: fields/{path}: {err}") from err


def _clash(item: Any, other: Any, spec: Spec, path: str) -> bool:
    """Whether two array items share a value that the spec marks ``unique`` (two departments named Sales)."""
    if not isinstance(item, dict):
        return False
    return any(spec.of(f"{path}[].{key}").get("unique") and other.get(key) == value for key, value in item.items())


def _object(spec: Spec, schema: dict[str, Any], prefix: str, scope: Scope) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    scope.objects.append(obj)
    scope.records.append({})
    required = set(schema.get("required", []))
    later = []
    for key, sub in schema["properties"].items():
        path, fs = join(prefix, key), spec.of(join(prefix, key))
        if key not in required and scope.rng.random() >= fs.get("p", DEFAULT_PRESENCE):
            continue
        if "derive" in fs:
            obj[key] = None  # keeps the schema's key order; computed once the siblings exist
            later.append((key, sub, fs))
        else:
            obj[key] = _value(spec, sub, path, scope)
    for key, sub, fs in later:
        obj[key] = _typed(derive(fs["derive"], scope), sub, fs)
    scope.objects.pop()
    scope.records.pop()
    return obj


def fill(spec: Spec, scope: Scope) -> dict[str, Any]:
    """The expected output of one example: every required field, optional ones by chance (absent, never null)."""
    scope.pools = spec.pools
    return _object(spec, spec.schema, "", scope)
