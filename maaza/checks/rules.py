"""A check's rules as one ordered list of named functions: each rule's docstring says what it does, and every text
that describes a check (the rule a results file records, the CLI's help, the Space's checkbox) is made from that list.

Usage: ``describe(RULES, "maaza.checks.values")``
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    """One rule of a check: its name (kebab-case, as help and records list it) and the function that applies it."""

    name: str
    apply: Callable[..., Any]

    @property
    def text(self) -> str:
        """What the rule does: the first paragraph of its function's docstring, on one line."""
        doc = inspect.getdoc(self.apply) or ""
        return " ".join(doc.split("\n\n")[0].split()).removesuffix(".")


def describe(rules: Sequence[Rule], module: str) -> str:
    """The check as a results file records it: after decoding, each rule by name and text, in the order they run."""
    steps = "; ".join(f"({number}) {rule.name}: {rule.text}" for number, rule in enumerate(rules, 1))
    return f"after decoding, in this order: {steps} ({module})"


def listed(rules: Sequence[Rule]) -> str:
    """The rules' names in order, as help lists them (``a, then b, then c``)."""
    return ", then ".join(rule.name for rule in rules)
