"""The value check: after decoding, the answer's numbers, enum members, dates and repeated strings are held to what the
text states, and nothing is asked of the model.

A small model gets values wrong in a few ways that the text itself can show up, once the answer is read:

- it converts a date or a clock time wrongly (``2 April 2025`` as ``2025-04-20``, ``6:14 AM`` as ``17:14``): a date
  or date-time the text never states is set to the one it states that is nearest, character by character
  (``maaza.checks.dates`` reads them; a tie, or a text that states none, leaves the value alone);
- it stops copying a number at its thousands comma (``7`` of ``7,457.53``): a number the text never states becomes
  the comma-grouped number it begins, when the text writes exactly one;
- it fills an optional key that the text lacks with a value seen in training (a fee of 0.5, a sex, a category): an
  optional number or enum member the text never states is dropped. A number is stated in digits (commas between
  thousands; ``35%`` states 0.35 too; the hour and minutes of ``6:14`` state none: a fee of 6 is a guess) or in English
  words up to ninety-nine, an enum member as a word (``male`` is not in ``female``), in any case, with ``_`` read as a
  space or ``-``;
- it copies into an optional key a value that a required key already holds (``company`` = the venue, ``tax_id`` =
  ``"17.46"``, the tax): an optional string is dropped when a required key holds the same value, or a number written
  the same way, and the text states it only once;
- it copies a number from one array item into the next (a device's battery into its neighbour's): where items hold
  the same number under the same optional key and the text states it once, it stays only with the item whose own
  strings lie nearest that statement;
- it fills an optional list with values the answer holds elsewhere (``decisions: ["Budget check-in"]``, the title; a
  team named and led as its department): an optional array goes when each of its numbers and strings is a copy, that
  is held outside it too and more often in all than the text states it (a value the text never states is no copy);
- it adds an array item made of values from elsewhere (a third party that repeats the second, or whose amount is the
  total and whose BIC is the currency code): an object item after an array's first goes when more than half of its
  numbers and strings are copies.

Only optional keys and array items are dropped and a value is only set to another of its own type and format, so an
answer valid against its schema stays valid (a repair or an item dropped that would break it is not made).

Usage: ``answer, dropped, repaired = check_values(text, schema, answer)``
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from edgejson.answer import schema_validator, validation_errors
from maaza.checks.dates import stated_dates, stated_datetimes
from maaza.checks.keys import Path, dotted, optional_keys, without

RULE = (  # as results files record it
    "after decoding, a date or date-time the text never states is set to the nearest one it states, a number cut at "
    "its thousands comma to the number the text writes, then each optional key is dropped whose number or enum member "
    "the text never states (in digits, not as part of a clock time, or English words up to ninety-nine, as a word in "
    "any case) or whose string a required key holds too, as a string or a number, while the text states it once, "
    "and a number stated once that array items hold under the same key stays only with the item whose strings lie "
    "nearest it; an optional array goes whose every number and string is a copy (held outside it too, and more "
    "often in all than the text states it, where it does), and so does an object item after an array's first when "
    "more than half of its numbers and strings are copies (maaza.checks.values)"
)
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


def unstated(value: Any, schema: Any, lowered: str, numbers: dict[float, list[int]]) -> bool:
    """Whether ``value`` is a number or an enum member (by ``schema``) that the text never states; ``lowered``: the
    text in lower case, ``numbers``: its :func:`stated_numbers`."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return float(value) not in numbers
    if isinstance(value, str) and isinstance(schema, dict) and "enum" in schema:
        return not member_statements(value, lowered)
    return False


def member_statements(member: str, lowered: str) -> int:
    """How many times the text (``lowered``: in lower case) states an enum member as a word, ``_`` read as a space or
    ``-``."""
    member = member.lower()
    forms = {member, member.replace("_", " "), member.replace("_", "-")}
    return sum(len(re.findall(rf"(?<!\w){re.escape(form)}(?!\w)", lowered)) for form in forms)


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


def replaced(value: Any, path: Path, new: Any) -> Any:
    """A copy of ``value`` with ``new`` at ``path``."""
    value = copy.deepcopy(value)
    item(value, path[:-1])[path[-1]] = new
    return value


def nearest(value: str, candidates: list[str]) -> str | None:
    """The candidate that differs from ``value`` in the fewest characters, None when none is, or two are, nearest."""
    ranked = sorted((sum(map(str.__ne__, value, c)) + abs(len(value) - len(c)), c) for c in set(candidates))
    if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
        return None
    return ranked[0][1]


def repair(value: Any, schema: dict[str, Any], text: str, numbers: dict[float, list[int]]) -> Any:
    """What the text states in place of ``value`` (by its ``schema``), or ``value`` when it is stated or cannot be
    told."""
    if isinstance(value, str) and schema.get("format") in ("date", "date-time") and value not in text:
        stated = stated_dates(text) if schema["format"] == "date" else stated_datetimes(text)
        return value if value in stated else nearest(value, stated) or value
    if is_number(value) and float(value) not in numbers:
        if isinstance(value, float) and not value.is_integer():
            return value
        begun = {float(m.group().replace(",", "")) for m in GROUPED.finditer(text) if m.group(1) == str(int(value))}
        if len(begun) == 1:
            (number,) = begun
            return int(number) if schema.get("type") == "integer" and number.is_integer() else number
    return value


def times_stated(value: str, schema: Any, text: str) -> int:
    """How many times ``text`` states the string ``value`` (a date or date-time in any of its written forms)."""
    form = schema.get("format") if isinstance(schema, dict) else None
    if form == "date":
        return stated_dates(text).count(value)
    if form == "date-time":
        return stated_datetimes(text).count(value)
    return text.count(value)


def taken_from_a_sibling(
    text: str, answer: dict[str, Any], optional: list[tuple[Path, Any, Any]], numbers: dict[float, list[int]]
) -> list[Path]:
    """The optional numbers that array items hold under the same key while the text states that number once: every
    one of them but the item's whose own strings lie nearest the statement (a model copies a number into the next
    device, package or party); none when two items lie as near."""
    groups: dict[tuple[Path, str | int, float], list[Path]] = defaultdict(list)
    for path, value, _ in optional:
        if len(path) > 1 and isinstance(path[-2], int) and is_number(value):
            groups[(path[:-2], path[-1], float(value))].append(path)
    taken = []
    for (_, _, number), paths in groups.items():
        if len(paths) < 2 or len(numbers.get(number, ())) != 1:
            continue
        (at,) = numbers[number]
        ranked = sorted(((distance(text, at, item(answer, path[:-1])), path) for path in paths), key=lambda r: r[0])
        if ranked[0][0] < ranked[1][0]:
            taken += [path for _, path in ranked[1:]]
    return taken


Found = list[tuple[Path, Any, Any]]  # an answer's leaves as :func:`leaves` yields them


def held_key(value: Any) -> tuple[str, Any] | None:
    """How a number or string is counted among an answer's values (``1`` and ``1.0`` alike); None for the others."""
    if is_number(value):
        return "number", float(value)
    return ("string", value) if isinstance(value, str) else None


def counted(found: Found) -> Counter:
    """How many leaves of ``found`` hold each number and string."""
    return Counter(key for _, value, _ in found if (key := held_key(value)) is not None)


def within(found: Found, root: Path) -> Found:
    """The numbers and strings of ``found`` that lie inside the part at ``root``."""
    return [leaf for leaf in found if leaf[0][: len(root)] == root and held_key(leaf[1]) is not None]


def over_held(value: Any, schema: Any, held: int, lowered: str, text: str, numbers: dict[float, list[int]]) -> bool:
    """Whether the answer holds the number or string ``value`` (``held`` times) more often than ``text`` states it,
    where the text states it at all (an enum member in any of its written forms; ``lowered``: the text in lower
    case): a value copied from elsewhere in the answer. A value the text never states is left to the other rules (it
    may be one written differently)."""
    if is_number(value):
        stated = len(numbers.get(float(value), ()))
    elif isinstance(schema, dict) and "enum" in schema:
        stated = member_statements(value, lowered)
    else:
        stated = times_stated(value, schema, text)
    return 0 < stated < held


def copies(inside: Found, total: Counter, lowered: str, text: str, numbers: dict[float, list[int]]) -> int:
    """How many of the numbers and strings ``inside`` a part of the answer are copies: held outside that part too
    (``total``: the whole answer's :func:`counted`), and more often in all than the text states them."""
    own = counted(inside)
    return sum(
        total[key] > own[key] and over_held(value, sub, total[key], lowered, text, numbers)
        for _, value, sub in inside
        if (key := held_key(value))
    )


def copied_arrays(
    found: Found, optional: Found, lowered: str, text: str, numbers: dict[float, list[int]]
) -> list[Path]:
    """The optional arrays every number and string of which is a copy of a value held elsewhere in the answer
    (``found``: its leaves; a list of decisions filled with the title, a team named and led as its department)."""
    total, drop = counted(found), []
    for path, value, _ in optional:
        if isinstance(value, list) and (inside := within(found, path)):
            if copies(inside, total, lowered, text, numbers) == len(inside):
                drop.append(path)
    return drop


def invented_items(
    answer: dict[str, Any], schema: dict[str, Any], lowered: str, text: str, numbers: dict[float, list[int]]
) -> tuple[dict[str, Any], list[Path]]:
    """``answer`` less the object items, after each array's first, more than half of whose numbers and strings are
    copies of values held elsewhere in the answer (last items first, each judged on what is left), and their paths;
    an item whose loss the schema forbids (``minItems``) stays."""
    validator, gone = schema_validator(schema), []
    found = list(leaves(answer, schema))
    total = counted(found)
    arrays = {path[:at] for path, _, _ in found for at, step in enumerate(path) if isinstance(step, int)}
    for array in sorted(arrays, key=len, reverse=True):  # inner arrays first: an outer path keeps its indices
        for index in reversed(range(1, len(item(answer, array)))):
            if not isinstance(item(answer, (path := (*array, index))), dict):
                continue
            inside = within(found, path)
            if 2 * copies(inside, total, lowered, text, numbers) > len(inside):
                if not validation_errors(candidate := without(answer, path), validator):
                    answer, gone = candidate, [*gone, path]
                    found = list(leaves(answer, schema))
                    total = counted(found)
    return answer, gone


def is_number(value: Any) -> bool:
    """Whether ``value`` is a JSON number (``True`` is not)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def item(answer: Any, path: Path) -> Any:
    """The value at ``path`` in ``answer``."""
    for step in path:
        answer = answer[step]
    return answer


def distance(text: str, at: int, value: Any) -> float:
    """How far offset ``at`` lies from the stretch of ``text`` that holds ``value``'s strings (those of three or more
    characters that the text states once); 0 inside it, infinite when it holds none."""
    found = [
        (start := text.index(leaf), start + len(leaf))
        for _, leaf, _ in leaves(value, None)
        if isinstance(leaf, str) and len(leaf) > 2 and text.count(leaf) == 1
    ]
    if not found:
        return float("inf")
    start, end = min(begin for begin, _ in found), max(stop for _, stop in found)
    return 0.0 if start <= at <= end else float(min(abs(at - start), abs(at - end)))


def check_values(
    text: str, schema: dict[str, Any], answer: dict[str, Any]
) -> tuple[dict[str, Any], list[str], list[str]]:
    """``answer`` with its dates and cut numbers set to what ``text`` states, less its optional keys whose number or
    enum value the text never states, whose string a required key holds too (as a string or a number), or whose
    number an item took from a sibling, less its optional arrays of copies and its items mostly made of copies; the
    keys and items dropped (dotted, as ``parties[0].fee``) and the values set
    (``due_date: "2025-04-20" -> "2025-04-02"``)."""
    numbers, validator = stated_numbers(text), schema_validator(schema)
    checked, repaired = answer, []
    for path, value, sub in leaves(answer, schema):
        new = repair(value, sub or {}, text, numbers)
        if new != value and not validation_errors(candidate := replaced(checked, path, new), validator):
            checked = candidate
            repaired.append(f"{dotted(path)}: {json.dumps(value)} -> {json.dumps(new)}")
    lowered, optional = text.lower(), list(optional_keys(checked, schema))
    paths = {path for path, _, _ in optional}
    found = list(leaves(checked, schema))
    held = [value for path, value, _ in found if path not in paths]  # by required keys and items
    held += [json.dumps(value) for value in held if is_number(value)]  # a string may write a held number
    drop = [
        path
        for path, value, sub in optional
        if unstated(value, sub, lowered, numbers)
        or (isinstance(value, str) and value in held and times_stated(value, sub, text) <= 1)
    ]
    drop += [path for path in taken_from_a_sibling(text, checked, optional, numbers) if path not in drop]
    arrays = copied_arrays(found, optional, lowered, text, numbers)
    drop = [path for path in drop if not any(path[: len(array)] == array for array in arrays)] + arrays
    for path in drop:  # none leads through another: the keys inside an array that goes are not listed
        checked = without(checked, path)
    checked, items = invented_items(checked, schema, lowered, text, numbers)
    return checked, [dotted(path) for path in drop + items], repaired
