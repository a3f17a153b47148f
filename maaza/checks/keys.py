"""The optional-key check: after decoding, each optional key of an answer is dropped when the model finds the answer
more likely without it.

A small model fills optional keys that the text lacks (a sex, a company, a whole list of prescriptions): decoding
step by step, opening the key is the likeliest next token, yet the answer as a whole, scored token by token up to its
end, is likelier without it. The check asks a scorer (``maaza.inference.scoring.answer_scorer``: the model's
log-likelihood of each answer after the prompt) and so imports no model code. :data:`RULES` lists its rules in the
order they run. Required keys, array items and values are never touched, so an answer valid against its schema stays
valid.

Usage: ``answer, dropped = check_keys(answer_scorer(model, tokenizer, prompt_ids), schema, answer, text)``
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from edgejson.schemas import key_words
from maaza.checks.paths import Path, dotted, inside, optional_keys, without
from maaza.checks.rules import Rule, describe

Scorer = Callable[[list[Any]], list[float]]  # the log-likelihood of each answer, written compact and ended by EOS


def named_in_text(value: Any, key: str, text: str) -> bool:
    """An optional object or array whose key the text names stays (``Prescriptions:`` names ``prescriptions``: the
    first five letters of a word of the key, of three letters or more, start a word of the text, in any case); the
    model scores a long list as unlikely as a whole even when the text lists it."""
    return isinstance(value, dict | list) and names(text, key)


def likelier_without(score: Scorer, answer: dict[str, Any], paths: list[Path]) -> list[Path]:
    """Each other optional key is dropped when the model gives the whole answer (compact JSON + EOS) a higher
    log-likelihood without it, each judged against the whole answer; a key inside a dropped one goes with it."""
    full, *alone = score([answer] + [without(answer, path) for path in paths])
    drop = [path for path, value in zip(paths, alone, strict=True) if value > full]
    return [path for path in drop if not any(inside(path, outer) for outer in drop if outer != path)]


RULES = (Rule("named-in-text", named_in_text), Rule("likelier-without", likelier_without))  # in the order they run
RULE = describe(RULES, __name__)  # as results files record it


def names(text: str, key: str) -> bool:
    """Whether ``text`` names ``key``: the first five letters of one of its words of three letters or more
    (``snake_case`` or ``camelCase``) start a word of the text, in any case (``Prescribed`` names
    ``prescriptions``)."""
    words = (word for word in key_words(key) if len(word) >= 3)
    return any(re.search(rf"(?<!\w){re.escape(word[:5])}", text, re.IGNORECASE) for word in words)


def check_keys(
    score: Scorer, schema: dict[str, Any], answer: dict[str, Any], text: str
) -> tuple[dict[str, Any], list[str]]:
    """``answer`` through :data:`RULES`: without the optional keys that ``score`` finds it likelier without, those
    the text names kept; and the keys dropped (dotted, as ``parties[0].email``)."""
    keep, drop = RULES
    paths = [path for path, value, _ in optional_keys(answer, schema) if not keep.apply(value, str(path[-1]), text)]
    if not paths:
        return answer, []
    dropped = drop.apply(score, answer, paths)
    checked = answer
    for path in dropped:  # removing a key moves no other: every path still leads to its key
        checked = without(checked, path)
    return checked, [dotted(path) for path in dropped]
