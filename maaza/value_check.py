"""The value check: after decoding, each optional key whose value is a number or an enum member that the text never
states is dropped.

A small model fills optional keys that the text lacks with values it has seen in training: a fee of 0.5, a sex, a
category, a log level. Unlike a name, such a value cannot be held to a span of the text while decoding (a number is
written ``12,467.59`` or ``twelve``, an enum member in any case), but it can be looked up once the answer is read: a
number is stated when the text writes it in digits (commas between thousands; ``35%`` states 0.35 too) or in
English words up to ninety-nine, an enum member when the text holds it as a word (``male`` is not in ``female``), in
any case, with ``_`` read as a space or ``-``. Required keys, array items, strings of no enum, booleans and objects are
never touched, so an answer valid against its schema stays valid; nothing is asked of the model.

Usage: ``answer, dropped = check_values(text, schema, answer)``
"""

from __future__ import annotations

import re
from typing import Any

from maaza.key_check import dotted, optional_keys, without

RULE = (  # as results files record it
    "after decoding, each optional key whose value is a number or an enum member that the text never states (a number "
    "in digits or English words up to ninety-nine, an enum member as a word in any case) is dropped "
    "(maaza.value_check)"
)
DIGITS = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?(%?)")
UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen"
).split()
TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
WORDS = re.compile(rf"\b(?:({'|'.join(TENS)})(?:[- ]({'|'.join(UNITS[1:10])}))?|({'|'.join(UNITS)}))\b", re.IGNORECASE)


def stated_numbers(text: str) -> set[float]:
    """Every number ``text`` writes: in digits (``12,467.59``; ``35%`` as 35 and 0.35) or in English words below
    a hundred (``forty-two``)."""
    numbers: set[float] = set()
    for match in DIGITS.finditer(text):
        value = float(match.group().rstrip("%").replace(",", ""))
        numbers.update((value, round(value / 100, 12)) if match.group(1) else (value,))
    for match in WORDS.finditer(text):
        tens, unit, alone = (word.lower() if word else "" for word in match.groups())
        if alone:
            numbers.add(float(UNITS.index(alone)))
        else:
            numbers.add(float(10 * (TENS.index(tens) + 2) + (UNITS.index(unit) if unit else 0)))
    return numbers


def unstated(value: Any, schema: Any, lowered: str, numbers: set[float]) -> bool:
    """Whether ``value`` is a number or an enum member (by ``schema``) that the text never states; ``lowered``: the
    text in lower case, ``numbers``: its :func:`stated_numbers`."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return float(value) not in numbers
    if isinstance(value, str) and isinstance(schema, dict) and "enum" in schema:
        member = value.lower()
        forms = {member, member.replace("_", " "), member.replace("_", "-")}
        return not any(re.search(rf"(?<!\w){re.escape(form)}(?!\w)", lowered) for form in forms)
    return False


def check_values(text: str, schema: dict[str, Any], answer: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``answer`` without its optional keys whose number or enum value ``text`` never states, and those keys (dotted,
    as ``parties[0].fee``)."""
    lowered, numbers = text.lower(), stated_numbers(text)
    drop = [path for path, value, sub in optional_keys(answer, schema) if unstated(value, sub, lowered, numbers)]
    checked = answer
    for path in drop:  # only leaves go, so no path leads through another
        checked = without(checked, path)
    return checked, [dotted(path) for path in drop]
