"""Decide, while a model generates, when its answer is complete: as soon as the one answer reader finds an object.

The reader is ``edgejson.answer.read_answer``, the same the metric and the Space use, so generation stops exactly
where a reader of the text would stop (braces in prose, ``{name}``, do not stop it; a closed object does).

Usage: ``scanner = ObjectScanner(); done = scanner.feed(chunk)``
"""

from __future__ import annotations

from edgejson.answer import read_answer


class ObjectScanner:
    """Accumulates generated text; ``feed`` returns True once ``read_answer`` reads an object from it."""

    __slots__ = ("text", "done")

    def __init__(self) -> None:
        self.text = ""
        self.done = False

    def feed(self, chunk: str) -> bool:
        """Add generated text; True when the answer is complete (further text is ignored)."""
        if not self.done:
            self.text += chunk
            self.done = "}" in chunk and read_answer(self.text).value is not None
        return self.done
