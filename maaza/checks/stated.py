"""What a text states, as the value check reads it: its numbers (in digits or English words, with their offsets), its
enum members as words, and how many times it states a string, a date or a date-time.

Usage: ``Stated.read("Total: 7,457.53 (35% paid)").numbers`` -> ``{7457.53: [7], 35.0: [18], 0.35: [18]}``
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from maaza.checks.dates import stated_dates, stated_datetimes

# Not the hour or minutes of 6:14, nor digits inside a word (A380), but each side of a size (25x47x77, 25×47).
DIGITS = re.compile(r"(?:(?<![\w.:])|(?<=\d[x×]))[-+]?\d[\d,]*(?:\.\d+)?(%?)(?!\d|:\d)")
GROUPED = re.compile(r"(?<![\w.])(\d{1,3}),(\d{3}(?:,\d{3})*(?:\.\d+)?)(?![\d,])")
UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen"
).split()
TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
WORDS = re.compile(rf"\b(?:({'|'.join(TENS)})(?:[- ]({'|'.join(UNITS[1:10])}))?|({'|'.join(UNITS)}))\b", re.IGNORECASE)


def stated_numbers(text: str) -> dict[float, list[int]]:
    """Every number ``text`` writes, with the offsets where it does: in digits (``12,467.59``; ``35%`` as 35 and 0.35;
    each side of ``25x47x77``; not the 20 or 59 of ``20:59``) or in English words below a hundred (``forty-two``)."""
    numbers: dict[float, list[int]] = defaultdict(list)
    for match in DIGITS.finditer(text):
        value = float(match.group().rstrip("%").replace(",", ""))
        for number in (value, round(value / 100, 12)) if match.group(1) else (value,):
            numbers[number].append(match.start())
    for match in WORDS.finditer(text):
        tens, unit, alone = (word.lower() if word else "" for word in match.groups())
        if alone:
            numbers[float(UNITS.index(alone))].append(match.start())
        else:
            numbers[float(10 * (TENS.index(tens) + 2) + (UNITS.index(unit) if unit else 0))].append(match.start())
    return numbers


@dataclass(frozen=True)
class Stated:
    """A text as the rules read it, once for all of them: the text, in lower case, and its :func:`stated_numbers`."""

    text: str
    lowered: str
    numbers: dict[float, list[int]]

    @classmethod
    def read(cls, text: str) -> Stated:
        return cls(text, text.lower(), stated_numbers(text))

    def member_statements(self, member: str) -> int:
        """How many times the text states an enum member as a word, in any case, ``_`` read as a space or ``-``."""
        member = member.lower()
        forms = {member, member.replace("_", " "), member.replace("_", "-")}
        return sum(len(re.findall(rf"(?<!\w){re.escape(form)}(?!\w)", self.lowered)) for form in forms)

    def times(self, value: str, schema: Any) -> int:
        """How many times the text states the string ``value`` (a date or date-time in any of its written forms)."""
        form = schema.get("format") if isinstance(schema, dict) else None
        if form == "date":
            return stated_dates(self.text).count(value)
        if form == "date-time":
            return stated_datetimes(self.text).count(value)
        return self.text.count(value)
