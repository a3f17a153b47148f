"""Paths into an answer, and the parts of it the checks read and change: its optional keys, its scalars, one key
removed, one value replaced. Each function returns a copy and leaves the answer it is given alone.

Usage: ``[dotted(path) for path, _, _ in optional_keys(answer, schema)]`` -> ``["customer.email", "items[0].note"]``
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

Path = tuple[str | int, ...]  # keys and array indexes from the answer's root


def optional_keys(value: Any, schema: Any, at: Path = ()) -> Iterator[tuple[Path, Any, Any]]:
    """The path, value and subschema of every key in ``value`` that its schema declares but does not require,
    outermost first."""
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        declared, required = schema.get("properties") or {}, set(schema.get("required") or ())
        for key, item in value.items():
            if key in declared:
                if key not in required:
                    yield (*at, key), item, declared[key]
                yield from optional_keys(item, declared[key], (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from optional_keys(item, schema.get("items"), (*at, index))


def leaves(value: Any, schema: Any, at: Path = ()) -> Iterator[tuple[Path, Any, Any]]:
    """The path, value and subschema (None where the schema declares none) of every scalar in ``value``."""
    schema = schema if isinstance(schema, dict) else {}
    if isinstance(value, dict):
        declared = schema.get("properties") or {}
        for key, item in value.items():
            yield from leaves(item, declared.get(key), (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, schema.get("items"), (*at, index))
    else:
        yield at, value, schema or None


def item(answer: Any, path: Path) -> Any:
    """The value at ``path`` in ``answer``."""
    for step in path:
        answer = answer[step]
    return answer


def without(value: Any, path: Path) -> Any:
    """A copy of ``value`` with the key (or array item) at ``path`` removed."""
    value = copy.deepcopy(value)
    del item(value, path[:-1])[path[-1]]
    return value


def replaced(value: Any, path: Path, new: Any) -> Any:
    """A copy of ``value`` with ``new`` at ``path``."""
    value = copy.deepcopy(value)
    item(value, path[:-1])[path[-1]] = new
    return value


def inside(path: Path, outer: Path) -> bool:
    """Whether ``path`` leads through ``outer`` (or is it)."""
    return path[: len(outer)] == outer


def dotted(path: Path) -> str:
    """``("parties", 0, "email")`` as ``parties[0].email``."""
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path).lstrip(".")


def is_number(value: Any) -> bool:
    """Whether ``value`` is a JSON number (``True`` is not)."""
    return isinstance(value, int | float) and not isinstance(value, bool)
