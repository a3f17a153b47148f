"""The span rule of constrained decoding: a free-form string value (a schema of ``"type": "string"`` with no enum,
const or pattern, and no format but one that names what a text spells out, as an email) is copied from the text, so
every string the model writes there must be a span of it.

Extraction answers name what the text says; a small model instead writes what it has seen (a name from training, a
company copied in from nowhere). Under the rule, a token inside such a string is allowed only when the string stays a
span of the text, compared as UTF-8 bytes in JSON-escaped form (``"`` as ``\\"``, a newline as ``\\n``). Keys,
enums, dates, numbers and strings in parts of a schema the cursor cannot follow (``anyOf``, ``$ref``) are left to the
grammar.

Usage: ``cursor = JsonCursor(schema); cursor.feed(b'{"name":"Da'); cursor.span`` → ``b"Da"`` (None outside such a
string); ``cursor.allows(b"na", escaped(text))``
"""

from __future__ import annotations

import json
from typing import Any

NOT_A_SPAN = ("enum", "const", "pattern")  # keywords of strings whose value need not be in the text
# Formats of values a text spells out as they are; the others (date, date-time, time, duration...) are written in a
# canonical form that the text need not use.
SPAN_FORMATS = ("email", "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6", "uri", "uri-reference", "iri")
RULE = (  # as results files record it
    "constrained decoding: a free-form string value (type string; no enum, const or pattern; no format, or one of "
    f"{', '.join(SPAN_FORMATS)}) takes only "
    "tokens that keep it a span of the text (JSON-escaped); when none of the likeliest allowed tokens does, the "
    "string ends (maaza.inference.spans)"
)


def escaped(text: str) -> bytes:
    """``text`` as it reads, in UTF-8, inside a JSON string written by ``edgejson.format_answer``."""
    return json.dumps(text, ensure_ascii=False)[1:-1].encode()


def is_span_string(schema: Any) -> bool:
    """Whether a value of ``schema`` is a free-form string, to be copied from the text."""
    if not isinstance(schema, dict) or schema.get("type") != "string" or any(k in schema for k in NOT_A_SPAN):
        return False
    return schema.get("format", SPAN_FORMATS[0]) in SPAN_FORMATS


QUOTE, BACKSLASH = ord('"'), ord("\\")


class JsonCursor:
    """Where compact JSON written so far (fed as bytes, a token at a time: a token may hold part of a character)
    stands against its schema: inside a string or not, and the content of the free-form string value it is in."""

    __slots__ = ("schema", "stack", "inside", "escaping", "is_key", "content")

    def __init__(self, schema: dict[str, Any] | None):
        self.schema = schema
        self.stack: list[list[Any]] = []  # [schema, key bytes, expecting a key] per open object, [schema] per array
        self.inside = self.escaping = self.is_key = False
        self.content: bytes | None = None  # the string's bytes so far, when it is a value to copy

    @property
    def span(self) -> bytes | None:
        """The escaped UTF-8 content of the free-form string value being written, None when not in one."""
        return self.content if self.inside else None

    def _value_schema(self) -> Any:
        if not self.stack:
            return self.schema
        top = self.stack[-1]
        if len(top) == 1:  # an array
            return top[0].get("items") if isinstance(top[0], dict) else None
        properties = top[0].get("properties") if isinstance(top[0], dict) else None
        key = json.loads(b'"' + top[1] + b'"') if top[1] is not None else None
        return properties.get(key) if isinstance(properties, dict) else None

    def feed(self, data: bytes) -> None:
        """Follow more of the answer."""
        for byte in data:
            if self.inside:
                self._feed_string(byte)
                continue
            char = chr(byte)
            if char == '"':
                top = self.stack[-1] if self.stack else None
                self.is_key = top is not None and len(top) == 3 and top[2]
                self.inside = True
                if self.is_key:
                    top[1] = b""
                self.content = b"" if not self.is_key and is_span_string(self._value_schema()) else None
            elif char in "{[":
                value = self._value_schema()
                self.stack.append([value, None, True] if char == "{" else [value])
            elif char in "}]" and self.stack:
                self.stack.pop()
            elif char == "," and self.stack and len(self.stack[-1]) == 3:
                self.stack[-1][2] = True
            elif char == ":" and self.stack and len(self.stack[-1]) == 3:
                self.stack[-1][2] = False

    def _feed_string(self, byte: int) -> None:
        if not self.escaping and byte == QUOTE:
            self.inside = False
            return
        self.escaping = not self.escaping and byte == BACKSLASH
        if self.is_key:
            self.stack[-1][1] += bytes((byte,))
        elif self.content is not None:
            self.content += bytes((byte,))

    def allows(self, token: bytes, source: bytes) -> bool:
        """Whether ``token`` keeps the free-form string being written a span of ``source`` (the escaped text): the
        bytes up to the string's closing quote are checked. True outside such a string."""
        if self.span is None:
            return True
        content, escaping = self.content, self.escaping
        for index, byte in enumerate(token):
            if not escaping and byte == QUOTE:
                token = token[:index]
                break
            escaping = not escaping and byte == BACKSLASH
        return content + token in source
