"""Read a model's answer: the one JSON object a raw output gives, or the kind of failure; and the schema's validator.

One set of rules for the ``maaza`` command, the harness, the Space and the metric (the metric folder carries a
byte-identical copy of this file, so it stays self-contained on the Hub). The rules:

- the output is stripped, and an opening code fence (```` ```json ````) and its closing one are set aside;
- when what is left is one JSON value, that value is the answer: an object, else ``not_an_object``;
- otherwise the answer is the first complete object after chatter: a ``{`` followed by ``"``, ``'`` or ``}``
  (``{name}`` in prose is no object); a rejected candidate is skipped, a cut one ends the search;
- JSON is strict: no ``NaN`` or ``Infinity`` (``invalid_json``), no key twice in an object (``duplicate_key``), at
  most ``MAX_DEPTH`` levels (``too_deep``), every number finite as a double (``number_out_of_range``); ``REJECTIONS``
  says each of these four kinds in words.

A schema is usable when it nests at most ``MAX_SCHEMA_DEPTH`` levels, is valid against its meta-schema, and each of
its references resolves and leads, before coming back, into a property or an item (a cycle that never does would be
validated forever). Validation reads dates and times as texts write them (``formats``, copied beside this file too)
and gives each ``pattern`` at most ``PATTERN_TIMEOUT_S`` on a string.

Usage: ``answer = read_answer(raw_output)``: ``answer.value`` (a dict, or None) and ``answer.failure`` (None or a kind
in ``FAILURES``); ``validator = schema_validator(schema)``; ``errors = validation_errors(value, validator)``
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any, NamedTuple

import regex
from jsonschema import FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError
from jsonschema.validators import Draft202012Validator, extend, validator_for
from jsonschema_specifications import REGISTRY
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012, specification_with

from .formats import FORMAT_CHECKER as TEXT_FORMATS
from .formats import PATTERNS as TEXT_FORMAT_PATTERNS

FAILURES = (
    "no_json",
    "truncated_json",
    "invalid_json",
    "duplicate_key",
    "number_out_of_range",
    "too_deep",
    "not_an_object",
)
MAX_DEPTH = 32
MAX_SCHEMA_DEPTH = 64  # levels of JSON in a schema document
PATTERN_TIMEOUT_S = 0.1  # the longest one ``pattern`` may take on one string: past it, it backtracks without end
_REFERENCES = ("$ref", "$dynamicRef", "$recursiveRef")
_TOO_DEEP = f"the schema nests deeper than {MAX_SCHEMA_DEPTH} levels of JSON"
_PATTERN_DEADLINE: ContextVar[float] = ContextVar("pattern_deadline", default=math.inf)

_OBJECT_START = re.compile(r"""\{\s*["'}]""")
_FENCE_OPEN = re.compile(r"```[\w+-]*")
# A string (to its closing quote, or to the end of the text when it never closes) or a bracket: linear on any text.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[{}\[\]]', re.S)


class Answer(NamedTuple):
    """What a raw output answered: the object, or None and the failure kind."""

    value: dict[str, Any] | None
    failure: str | None


class Rejected(ValueError):
    """JSON text that parses but breaks a rule; ``kind`` is the failure kind."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


REJECTIONS = {  # why ``loads`` rejects a JSON text, by the kind of its ``Rejected``, in words
    "invalid_json": "NaN and Infinity are not JSON",
    "duplicate_key": "a key appears twice in one object",
    "number_out_of_range": "a number is too large for a double",
    "too_deep": f"it is nested deeper than {MAX_DEPTH} levels",
}


def _constant(name: str) -> Any:
    raise Rejected("invalid_json")  # NaN, Infinity and -Infinity are not JSON


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise Rejected("number_out_of_range")
    return value


def _int(text: str) -> int:
    if math.isinf(float(text)):  # also keeps int() under Python's digit limit
        raise Rejected("number_out_of_range")
    return int(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise Rejected("duplicate_key")
    return obj


_DECODER = json.JSONDecoder(
    object_pairs_hook=_unique_keys, parse_constant=_constant, parse_float=_float, parse_int=_int
)


def _depth(value: dict | list) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        level = [c for v in level for c in (v.values() if isinstance(v, dict) else v) if isinstance(c, (dict, list))]
    return depth


def check_depth(schema: Any) -> None:
    """ValueError when a schema document nests deeper than ``MAX_SCHEMA_DEPTH`` levels (counted iteratively)."""
    if isinstance(schema, (dict, list)) and _depth(schema) > MAX_SCHEMA_DEPTH:
        raise ValueError(_TOO_DEEP)


def schema_json(text: str) -> Any:
    """A schema document read from JSON text: ``json.JSONDecodeError`` when it is not JSON, ValueError when it nests
    deeper than ``MAX_SCHEMA_DEPTH`` (also so deep that Python's parser gives up before the levels can be counted)."""
    try:
        schema = json.loads(text)
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None
    check_depth(schema)
    return schema


def _checked(value: Any) -> Any:
    if isinstance(value, (dict, list)) and _depth(value) > MAX_DEPTH:
        raise Rejected("too_deep")
    return value


def loads(text: str) -> Any:
    """One whole JSON text under the rules above; ``json.JSONDecodeError`` or ``Rejected`` (with its kind) if not."""
    try:
        return _checked(_DECODER.decode(text))
    except RecursionError:
        raise Rejected("too_deep") from None


def _value_at(text: str, start: int) -> Any:
    try:
        return _checked(_DECODER.raw_decode(text, start)[0])
    except RecursionError:
        raise Rejected("too_deep") from None


def _end_of(text: str, start: int) -> int:
    """Just after the bracket opened at ``start`` closes (or first mismatches), or -1 when the text ends first."""
    stack = []
    for match in _TOKENS.finditer(text, start):
        token = match.group()
        if token in "{[":
            stack.append("}" if token == "{" else "]")
        elif token in "}]" and (stack.pop() != token or not stack):
            return match.end()
    return -1


def _first_object(body: str) -> Answer:
    """The first complete JSON object in a text, or the failure kind of the last candidate tried."""
    failure, pos = "no_json", 0
    while (start := _OBJECT_START.search(body, pos)) is not None:
        try:
            return Answer(_value_at(body, start.start()), None)
        except Rejected as err:
            failure = err.kind
        except json.JSONDecodeError as err:
            if err.msg.startswith("Unterminated string"):  # the text ended inside a string
                return Answer(None, "truncated_json")
            failure = "invalid_json"
        pos = _end_of(body, start.start())
        if pos < 0:
            return Answer(None, "truncated_json")
        if failure == "too_deep":
            return Answer(None, failure)
    return Answer(None, failure)


def read_answer(output: str) -> Answer:
    """The object a raw output gives (the whole output, fence aside, or its first complete object), or the failure."""
    body = output.strip()
    fence = _FENCE_OPEN.match(body)
    if fence:
        body = body[fence.end() :].removesuffix("```").strip()
    try:
        value = loads(body)
    except Rejected as err:
        failure = err.kind
    except json.JSONDecodeError:
        failure = "no_json"
    else:
        return Answer(value, None) if isinstance(value, dict) else Answer(None, "not_an_object")
    found = _first_object(body)
    return found if found.value is not None or found.failure != "no_json" else Answer(None, failure)


def pointer(parts: Any) -> str:
    """A JSON pointer for a path of keys and list positions, or "top level" for the root."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts) or "top level"


@contextmanager
def patterns_until(deadline: float) -> Iterator[None]:
    """Within the block, pattern matching also ends at ``deadline`` (a ``time.monotonic()`` value): one time limit for
    all the validation of a request."""
    token = _PATTERN_DEADLINE.set(deadline)
    try:
        yield
    finally:
        _PATTERN_DEADLINE.reset(token)


class _Unmatched(Exception):
    """A pattern that could not be matched in time; the message says which, on what."""


def _search(pattern: str, text: str) -> bool:
    """``re.search(pattern, text)``, given at most ``PATTERN_TIMEOUT_S`` and what is left until the deadline of
    :func:`patterns_until`; ``_Unmatched`` past that."""
    seconds = max(0.0, min(PATTERN_TIMEOUT_S, _PATTERN_DEADLINE.get() - time.monotonic()))
    try:
        return regex.search(pattern, text, timeout=seconds) is not None
    except TimeoutError:
        raise _Unmatched(f"{text!r} could not be matched against {pattern!r} within {seconds:.2g} s") from None


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    """The ``pattern`` keyword, matched by :func:`_search`."""
    if validator.is_type(instance, "string"):
        try:
            if not _search(pattern, instance):
                yield ValidationError(f"{instance!r} does not match {pattern!r}")
        except _Unmatched as err:
            yield ValidationError(str(err))


def _pattern_properties(
    validator: Any, patterns: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """The ``patternProperties`` keyword, keys matched by :func:`_search`."""
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            try:
                found = _search(pattern, key)
            except _Unmatched as err:
                yield ValidationError(str(err))
                continue
            if found:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(keyword: Any) -> Any:
    """``keyword`` (``additionalProperties``) with the keys that ``patternProperties`` covers matched by
    :func:`_search`, and handed to it as declared properties."""

    def bounded(validator: Any, additional: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
        patterns = schema.get("patternProperties")
        if patterns and validator.is_type(instance, "object"):
            try:
                covered = {key: True for key in instance if any(_search(pattern, key) for pattern in patterns)}
            except _Unmatched as err:
                yield ValidationError(str(err))
                return
            schema = {"properties": {**schema.get("properties", {}), **covered}}
        yield from keyword(validator, additional, instance, schema)

    return bounded


@cache
def _bounded(cls: Any) -> Any:
    """The validator class ``cls`` with its patterns matched in bounded time and dates and times read as texts write
    them (``formats``)."""
    formats = FormatChecker(())
    formats.checkers = {**cls.FORMAT_CHECKER.checkers, **{f: TEXT_FORMATS.checkers[f] for f in TEXT_FORMAT_PATTERNS}}
    keywords = {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties(cls.VALIDATORS["additionalProperties"]),
    }
    return extend(cls, keywords, format_checker=formats)


def _locations(schema: Any) -> dict[int, str]:
    """Where each object and array of a schema document is, by identity: its JSON pointer as ``#/$defs/x``."""
    where, stack = {}, [(schema, "#")]
    while stack:  # in document order
        node, at = stack.pop()
        where[id(node)] = at
        children = node.items() if isinstance(node, dict) else enumerate(node)
        stack += reversed([(child, at + pointer([key])) for key, child in children if isinstance(child, (dict, list))])
    return where


def _cycle(links: dict[int, list[int]]) -> list[int] | None:
    """A cycle in ``links`` (node -> the nodes it leads to), its first node repeated at its end; else None."""
    done: set[int] = set()
    for start in links:
        if start in done:
            continue
        path, on_path, branches = [start], {start}, [iter(links[start])]
        while path:
            step = next(branches[-1], None)
            if step is None:
                done.add(path[-1])
                on_path.discard(path.pop())
                branches.pop()
            elif step in on_path:
                return path[path.index(step) :] + [step]
            elif step not in done:
                path.append(step)
                on_path.add(step)
                branches.append(iter(links.get(step, ())))
    return None


def _in_place(node: dict[str, Any]) -> list[Any]:
    """The subschemas that ``node`` applies to the value itself, not to one of its properties or items (references
    aside)."""
    found = [node.get(key) for key in ("not", "if", "then", "else")]
    for key in ("allOf", "anyOf", "oneOf", "dependentSchemas", "dependencies"):
        value = node.get(key)
        found += value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return found


def schema_validator(schema: Any) -> Any:
    """A validator for a JSON Schema (its ``$schema`` draft, else 2020-12; formats checked); ValueError if unusable.

    Unusable: not an object, nested too deeply, invalid against its meta-schema, a reference that does not resolve,
    or a cycle of references and in-place keywords (``allOf``, ``not``, ...) that comes back to a subschema without
    descending into a property or an item.
    """
    if not isinstance(schema, dict):
        raise ValueError(f"a JSON Schema must be an object, got {type(schema).__name__}")
    check_depth(schema)
    cls = validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(schema)
    except SchemaError as err:
        raise ValueError(f"invalid at {pointer(err.path)}: {err.message}") from None
    except RecursionError:
        raise ValueError("nested too deeply to check") from None
    root = specification_with(cls.ID_OF(cls.META_SCHEMA), default=DRAFT202012).create_resource(schema)
    stack = [(REGISTRY.resolver_with_root(root), root)]
    where, links = _locations(schema), {}  # links: each subschema -> those applied to the same value
    while stack:
        resolver, resource = stack.pop()
        node = resource.contents
        if isinstance(node, dict):
            same = _in_place(node)
            for key in _REFERENCES:
                if isinstance(ref := node.get(key), str):
                    try:
                        same.append(resolver.lookup(ref).contents)
                    except Unresolvable:
                        raise ValueError(f"{key} {ref!r} does not resolve to anything in the schema") from None
            links[id(node)] = [id(sub) for sub in same if isinstance(sub, dict) and id(sub) in where]
        stack += [(resolver.in_subresource(sub), sub) for sub in resource.subresources()]
    cycle = _cycle({node: links[node] for node in where if node in links})  # sought in document order
    if cycle:
        raise ValueError(
            f"$ref cycle {' -> '.join(where[node] for node in cycle)}: it comes back without descending into a "
            "property or an item, so validation would never end"
        )
    bounded = _bounded(cls)
    return bounded(schema, format_checker=bounded.FORMAT_CHECKER)


def validation_errors(value: Any, validator: Any, limit: int = 5) -> list[str]:
    """Why ``value`` does not validate (``pointer: message``), deepest first, at most ``limit``; [] when valid."""
    errors = sorted(validator.iter_errors(value), key=lambda e: (-len(e.absolute_path), list(map(str, e.path))))
    return [f"{pointer(e.absolute_path)}: {e.message}" for e in errors[:limit]]
