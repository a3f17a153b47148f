"""Find the first top-level JSON object in generated text, incrementally (string- and escape-aware).

Usage: ``scanner = ObjectScanner(); done = scanner.feed(chunk)`` or ``parse_object(text)``
"""

from __future__ import annotations

import json
from typing import Any


class ObjectScanner:
    """Tracks brace depth outside JSON strings; ``feed`` returns True once the first ``{...}`` is closed."""

    __slots__ = ("depth", "in_string", "escaped", "start", "end", "seen")

    def __init__(self) -> None:
        self.depth = 0
        self.in_string = False
        self.escaped = False
        self.start: int | None = None  # offset of the opening brace in all text fed
        self.end: int | None = None  # offset just after the closing brace
        self.seen = 0

    def feed(self, chunk: str) -> bool:
        """Scan more text; True when the object is complete (further text is ignored)."""
        for char in chunk:
            if self.end is not None:
                break
            self.seen += 1
            if self.start is None:
                if char == "{":
                    self.start, self.depth = self.seen - 1, 1
            elif self.in_string:
                if self.escaped:
                    self.escaped = False
                elif char == "\\":
                    self.escaped = True
                elif char == '"':
                    self.in_string = False
            elif char == '"':
                self.in_string = True
            elif char == "{":
                self.depth += 1
            elif char == "}":
                self.depth -= 1
                if self.depth == 0:
                    self.end = self.seen
        return self.end is not None


def find_object(text: str) -> str | None:
    """The first complete top-level ``{...}`` in ``text``, or None."""
    scanner = ObjectScanner()
    if not scanner.feed(text):
        return None
    return text[scanner.start : scanner.end]


def parse_object(text: str) -> dict[str, Any] | None:
    """The first complete JSON object in ``text`` parsed, or None when there is none or it is not valid JSON."""
    found = find_object(text)
    if found is None:
        return None
    try:
        return json.loads(found)
    except json.JSONDecodeError:
        return None
