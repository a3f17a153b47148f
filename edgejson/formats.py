"""Formats as texts write them: ISO 8601 dates, times and date-times, with or without a zone.

``format`` is an annotation (JSON Schema 2019-09 on): a value a text states, ``2005-07-03T17:42:53.545351``, must be
able to come out as the text states it, so ``date-time`` accepts what ISO 8601 software prints, not only RFC 3339.

Usage: ``FORMAT_CHECKER.conforms("2005-07-03 17:42:53", "date-time")``; ``PATTERNS["date-time"]``
"""

from __future__ import annotations

import re
from datetime import date

from jsonschema import FormatChecker

_ZONE = r"(?:Z|[+-]\d{2}:\d{2})?"
# 1 to 9 fraction digits spelled out: xgrammar 0.2.9 misreads a ranged repeat in nested optional groups (it would let
# the grammar write "17:4272").
_CLOCK = r"\d{2}:\d{2}(?::\d{2}(?:\.\d\d?\d?\d?\d?\d?\d?\d?\d?)?)?"
# Anchored regular expressions of the accepted forms, also given to the grammar in place of ``format``.
PATTERNS = {
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "time": rf"^{_CLOCK}{_ZONE}$",
    "date-time": rf"^\d{{4}}-\d{{2}}-\d{{2}}[T ]{_CLOCK}{_ZONE}$",
}


def _real(text: str, name: str) -> bool:
    """``text`` has the form of ``name`` and its fields are a real date and clock (no 2025-02-30, no 25:00)."""
    if not isinstance(text, str):
        return True
    if not re.fullmatch(PATTERNS[name], text, re.ASCII):  # no trailing newline, ASCII digits only
        return False
    day = text[:10] if name != "time" else "2000-01-01"
    clock = text[11:] if name == "date-time" else text if name == "time" else "00:00"
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    hours, minutes = int(clock[:2]), int(clock[3:5])
    seconds = int(clock[6:8]) if clock[5:6] == ":" else 0
    return hours < 24 and minutes < 60 and seconds < 61


FORMAT_CHECKER = FormatChecker()
for _name in PATTERNS:
    FORMAT_CHECKER.checks(_name)(lambda text, name=_name: _real(text, name))
