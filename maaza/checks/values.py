"""The value check: after decoding, the answer's numbers, enum members, dates and repeated strings are held to what
the text states, and nothing is asked of the model.

A small model gets values wrong in ways the text itself can show up, once the answer is read. Each way has one rule
below; :data:`RULES` lists them in the order they run, and every description of the check (the rule a results file
records, the CLI's help, the Space's checkbox) is made from that list. A rule only drops optional keys and array
items and only sets a value to another of its own type and format, so an answer valid against its schema stays
valid (a repair or an item dropped that would break it is not made).

Usage: ``answer, dropped, repaired = check_values(text, schema, answer)``
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from edgejson.answer import schema_validator, validation_errors
from maaza.checks.dates import stated_dates, stated_datetimes
from maaza.checks.paths import Path, dotted, inside, is_number, item, leaves, optional_keys, replaced, without
from maaza.checks.rules import Rule, describe
from maaza.checks.stated import GROUPED, Stated

Found = list[tuple[Path, Any, Any]]  # an answer's leaves as :func:`leaves` yields them


def dates_as_stated(value: Any, schema: dict[str, Any], stated: Stated) -> Any:
    """A date or date-time the text never states is set to the one it states that is nearest, character by character
    (``2 April 2025`` read as ``2025-04-20``; a tie, or a text that states none, leaves it).

    ``maaza.checks.dates`` reads the dates and date-times a text writes."""
    if isinstance(value, str) and schema.get("format") in ("date", "date-time") and value not in stated.text:
        written = stated_dates(stated.text) if schema["format"] == "date" else stated_datetimes(stated.text)
        return value if value in written else nearest(value, written) or value
    return value


def numbers_cut_at_comma(value: Any, schema: dict[str, Any], stated: Stated) -> Any:
    """A whole number the text never states becomes the comma-grouped number it begins, when the text writes exactly
    one (``7`` of ``7,457.53``)."""
    if is_number(value) and float(value) not in stated.numbers:
        if isinstance(value, float) and not value.is_integer():
            return value
        begun = {
            float(m.group().replace(",", "")) for m in GROUPED.finditer(stated.text) if m.group(1) == str(int(value))
        }
        if len(begun) == 1:
            (number,) = begun
            return int(number) if schema.get("type") == "integer" and number.is_integer() else number
    return value


def never_stated(value: Any, schema: Any, stated: Stated, held: list[Any]) -> bool:
    """An optional number or enum member the text never states is dropped (a fee of 0.5, a sex, a category seen in
    training). A number is stated in digits (commas between thousands; ``35%`` states 0.35 too; the hour and minutes
    of ``6:14`` state none) or in English words up to ninety-nine, an enum member as a word in any case, ``_`` read
    as a space or ``-``."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return float(value) not in stated.numbers
    if isinstance(value, str) and isinstance(schema, dict) and "enum" in schema:
        return not stated.member_statements(value)
    return False


def copies_a_required_key(value: Any, schema: Any, stated: Stated, held: list[Any]) -> bool:
    """An optional string is dropped when a required key or an array item holds the same value (or a number written
    the same way) and the text states it only once (``company`` = the venue, ``tax_id`` = ``"17.46"``, the tax)."""
    return isinstance(value, str) and value in held and stated.times(value, schema) <= 1


def taken_from_a_sibling(answer: dict[str, Any], schema: dict[str, Any], stated: Stated) -> list[Path]:
    """A number that array items hold under the same optional key while the text states it once stays only with the
    item whose own strings lie nearest that statement (a battery copied into the next device); none goes when two
    items lie as near."""
    groups: dict[tuple[Path, str | int, float], list[Path]] = defaultdict(list)
    for path, value, _ in optional_keys(answer, schema):
        if len(path) > 1 and isinstance(path[-2], int) and is_number(value):
            groups[(path[:-2], path[-1], float(value))].append(path)
    taken = []
    for (_, _, number), paths in groups.items():
        if len(paths) < 2 or len(stated.numbers.get(number, ())) != 1:
            continue
        (at,) = stated.numbers[number]
        ranked = sorted(((distance(stated.text, at, item(answer, p[:-1])), p) for p in paths), key=lambda r: r[0])
        if ranked[0][0] < ranked[1][0]:
            taken += [path for _, path in ranked[1:]]
    return taken


def copied_arrays(answer: dict[str, Any], schema: dict[str, Any], stated: Stated) -> list[Path]:
    """An optional array goes when each of its numbers and strings is a copy: held outside it too, and more often in
    all than the text states it, where it does (``decisions: ["Budget check-in"]``, the title; a value the text never
    states is no copy)."""
    found = list(leaves(answer, schema))
    total, drop = counted(found), []
    for path, value, _ in optional_keys(answer, schema):
        if isinstance(value, list) and (held := within(found, path)):
            if copies(held, total, stated) == len(held):
                drop.append(path)
    return drop


def invented_items(
    answer: dict[str, Any], schema: dict[str, Any], stated: Stated
) -> tuple[dict[str, Any], list[Path]]:
    """An object item after an array's first goes when more than half of its numbers and strings are copies (a third
    party that repeats the second), last items first, each judged on what is left; an item whose loss the schema
    forbids (``minItems``) stays."""
    validator, gone = schema_validator(schema), []
    found = list(leaves(answer, schema))
    total = counted(found)
    arrays = dict.fromkeys(path[:at] for path, _, _ in found for at, step in enumerate(path) if isinstance(step, int))
    for array in sorted(arrays, key=len, reverse=True):  # inner arrays first (an outer path keeps its indices), and
        # of arrays as deep the first in the answer first: one order, whatever the hash seed
        for index in reversed(range(1, len(item(answer, array)))):
            if not isinstance(item(answer, (path := (*array, index))), dict):
                continue
            held = within(found, path)
            if 2 * copies(held, total, stated) > len(held):
                if not validation_errors(candidate := without(answer, path), validator):
                    answer, gone = candidate, [*gone, path]
                    found = list(leaves(answer, schema))
                    total = counted(found)
    return answer, gone


REPAIRS = (Rule("dates-as-stated", dates_as_stated), Rule("numbers-cut-at-comma", numbers_cut_at_comma))
KEY_RULES = (Rule("never-stated", never_stated), Rule("copies-a-required-key", copies_a_required_key))
ANSWER_RULES = (Rule("taken-from-a-sibling", taken_from_a_sibling), Rule("copied-arrays", copied_arrays))
ITEM_RULES = (Rule("invented-items", invented_items),)
RULES = (*REPAIRS, *KEY_RULES, *ANSWER_RULES, *ITEM_RULES)  # in the order check_values runs them
RULE = describe(RULES, __name__)  # as results files record it


def check_values(
    text: str, schema: dict[str, Any], answer: dict[str, Any], rules: Sequence[Rule] = RULES
) -> tuple[dict[str, Any], list[str], list[str]]:
    """``answer`` through ``rules`` (:data:`RULES`, or some of them), in :data:`RULES`' order: its values repaired (a
    repair that would break the schema is not made), then less the optional keys a key rule or an answer rule drops (a
    key inside a dropped array goes with it), then less the items an item rule drops; the keys and items dropped
    (dotted, as ``parties[0].fee``) and the values set (``due_date: "2025-04-20" -> "2025-04-02"``)."""
    stated = Stated.read(text)
    checked, repaired = repair_values(answer, schema, stated, [rule for rule in REPAIRS if rule in rules])
    optional = list(optional_keys(checked, schema))
    held = held_elsewhere(checked, schema, {path for path, _, _ in optional})
    key_rules = [rule for rule in KEY_RULES if rule in rules]
    drop = [path for path, value, sub in optional if any(rule.apply(value, sub, stated, held) for rule in key_rules)]
    for rule in (rule for rule in ANSWER_RULES if rule in rules):
        drop += [path for path in rule.apply(checked, schema, stated) if path not in drop]
    drop = [path for path in drop if not any(inside(path, outer) and path != outer for outer in drop)]
    for path in drop:
        checked = without(checked, path)
    for rule in (rule for rule in ITEM_RULES if rule in rules):
        checked, items = rule.apply(checked, schema, stated)
        drop += items
    return checked, [dotted(path) for path in drop], repaired


def repair_values(
    answer: dict[str, Any], schema: dict[str, Any], stated: Stated, repairs: Sequence[Rule] = REPAIRS
) -> tuple[dict[str, Any], list[str]]:
    """``answer`` with each scalar set by the first of ``repairs`` that changes it, where the schema still holds; the
    values set."""
    validator, checked, repaired = schema_validator(schema), answer, []
    for path, value, sub in leaves(answer, schema):
        new = next((new for rule in repairs if (new := rule.apply(value, sub or {}, stated)) != value), value)
        if new != value and not validation_errors(candidate := replaced(checked, path, new), validator):
            checked = candidate
            repaired.append(f"{dotted(path)}: {json.dumps(value)} -> {json.dumps(new)}")
    return checked, repaired


def held_elsewhere(answer: dict[str, Any], schema: dict[str, Any], optional: set[Path]) -> list[Any]:
    """The values required keys and array items hold, and each of their numbers as JSON writes it (a string may
    write a held number)."""
    held = [value for path, value, _ in leaves(answer, schema) if path not in optional]
    return held + [json.dumps(value) for value in held if is_number(value)]


def nearest(value: str, candidates: list[str]) -> str | None:
    """The candidate that differs from ``value`` in the fewest characters, None when none is, or two are, nearest."""
    ranked = sorted((sum(map(str.__ne__, value, c)) + abs(len(value) - len(c)), c) for c in set(candidates))
    if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
        return None
    return ranked[0][1]


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
    return [leaf for leaf in found if inside(leaf[0], root) and held_key(leaf[1]) is not None]


def over_held(value: Any, schema: Any, held: int, stated: Stated) -> bool:
    """Whether the answer holds the number or string ``value`` (``held`` times) more often than the text states it,
    where the text states it at all (an enum member in any of its written forms): a value copied from elsewhere in
    the answer. A value the text never states is left to the other rules (it may be one written differently)."""
    if is_number(value):
        times = len(stated.numbers.get(float(value), ()))
    elif isinstance(schema, dict) and "enum" in schema:
        times = stated.member_statements(value)
    else:
        times = stated.times(value, schema)
    return 0 < times < held


def copies(part: Found, total: Counter, stated: Stated) -> int:
    """How many of the numbers and strings of a ``part`` of the answer are copies: held outside that part too
    (``total``: the whole answer's :func:`counted`), and more often in all than the text states them."""
    own = counted(part)
    return sum(
        total[key] > own[key] and over_held(value, sub, total[key], stated)
        for _, value, sub in part
        if (key := held_key(value))
    )


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
