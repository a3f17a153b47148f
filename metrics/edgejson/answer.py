"""Read a model's answer: the one JSON object a raw output gives, or the kind of failure; and the schema's validator.

One set of rules for the ``maaza`` command, the harness, the Space and the metric (the metric folder carries a
byte-identical copy of this file, so it stays self-contained on the Hub). The rules:

- the output is stripped, and an opening code fence (```` ```json ````) and its closing one are set aside;
- when what is left is one JSON value, that value is the answer: an object, else ``not_an_object``;
- otherwise the answer is the first complete object after chatter: a ``{`` followed by ``"``, ``'`` or ``}``
  (``{name}`` in prose is no object); a rejected candidate is skipped, a cut one ends the search;
- JSON is strict: no ``NaN`` or ``Infinity`` (``invalid_json``), no key twice in an object (``duplicate_key``), at
  most ``MAX_DEPTH`` levels (``too_deep``), every number finite as a double (``number_out_of_range``).

Usage: ``answer = read_answer(raw_output)``: ``answer.value`` (a dict, or None) and ``answer.failure`` (None or a kind
in ``FAILURES``); ``validator = schema_validator(schema)``; ``errors = validation_errors(value, validator)``
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NamedTuple

from jsonschema.exceptions import SchemaError
from jsonschema.validators import Draft202012Validator, validator_for
from jsonschema_specifications import REGISTRY
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012, specification_with

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


def schema_validator(schema: Any) -> Any:
    """A validator for a JSON Schema (its ``$schema`` draft, else 2020-12; formats checked); ValueError if unusable.

    Unusable: not an object, invalid against its meta-schema, nested too deeply, or a ``$ref`` that does not resolve.
    """
    if not isinstance(schema, dict):
        raise ValueError(f"a JSON Schema must be an object, got {type(schema).__name__}")
    cls = validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(schema)
    except SchemaError as err:
        raise ValueError(f"invalid at {pointer(err.path)}: {err.message}") from None
    except RecursionError:
        raise ValueError("nested too deeply to check") from None
    root = specification_with(cls.ID_OF(cls.META_SCHEMA), default=DRAFT202012).create_resource(schema)
    stack = [(REGISTRY.resolver_with_root(root), root)]
    while stack:
        resolver, resource = stack.pop()
        for key in ("$ref", "$dynamicRef"):
            ref = resource.contents.get(key) if isinstance(resource.contents, dict) else None
            if isinstance(ref, str):
                try:
                    resolver.lookup(ref)
                except Unresolvable:
                    raise ValueError(f"{key} {ref!r} does not resolve to anything in the schema") from None
        stack += [(resolver.in_subresource(sub), sub) for sub in resource.subresources()]
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def validation_errors(value: Any, validator: Any, limit: int = 5) -> list[str]:
    """Why ``value`` does not validate (``pointer: message``), deepest first, at most ``limit``; [] when valid."""
    errors = sorted(validator.iter_errors(value), key=lambda e: (-len(e.absolute_path), list(map(str, e.path))))
    return [f"{pointer(e.absolute_path)}: {e.message}" for e in errors[:limit]]
