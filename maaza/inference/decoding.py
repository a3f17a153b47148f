"""How an ``Extractor`` decodes, in one record: the four switches, the engine and the batch size, checked once.

Greedy on the torch engine unless told otherwise. ``constrained``: outputs follow their JSON Schema
(``maaza.inference.constrained``); ``spans`` (within it, torch engine): each free-form string is a span of the text
(``maaza.inference.spans``); ``value_check``: values held to what the text states (``maaza.checks.values``), then
``key_check``: optional keys dropped that the model finds the answer likelier without (``maaza.checks.keys``).

Usage: ``Extractor.load(decoding=Decoding(constrained=True, spans=True, key_check=True, value_check=True))``
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

ENGINES = ("torch", "onnx", "llamacpp", "browser")
# How a refusal names the span rule and each remedy, in the terms of whoever set the options: the Python API (the
# default), the command-line flags, or a form's checkboxes (the Space has its own).
API_TERMS = {"spans": "the span rule", "constrained": "set constrained=True", "torch": 'set engine="torch"'}
FLAGS = {"spans": "--spans", "constrained": "add --constrained", "torch": "use --engine torch"}
RULES = {  # options that do not go together, and what the refusal says
    "spans_engine": "{spans} runs on the torch engine: {torch}",
    "spans_constrained": "{spans} is part of constrained decoding on the torch engine: {constrained}",
    "llamacpp_greedy": "the llamacpp engine decodes greedily, with no grammar and no key check: {torch}",
    "browser_checks": "the browser engine runs the page as it is, with no value or key check: {torch}",
}


class DecodingError(ValueError):
    """Decoding options that do not go together; said in the Python API's terms, :meth:`say` in other ones."""

    def __init__(self, rule: str) -> None:
        self.rule = rule
        super().__init__(self.say(API_TERMS))

    def say(self, terms: dict[str, str]) -> str:
        """The refusal in ``terms`` (see ``API_TERMS``)."""
        return RULES[self.rule].format_map(terms)


@dataclass(frozen=True)
class Decoding:
    """The decoding of an ``Extractor``; ``batch_size``: sequences decoded together, None for the engine's default
    (``Extractor.batch_size``). ValueError (``DecodingError`` for options that do not go together) when invalid."""

    constrained: bool = False
    spans: bool = False
    key_check: bool = False
    value_check: bool = False
    engine: str = "torch"
    batch_size: int | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}: choose from {', '.join(ENGINES)}")
        if self.spans and self.engine != "torch":
            raise DecodingError("spans_engine")
        if self.spans and not self.constrained:
            raise DecodingError("spans_constrained")
        if self.engine == "llamacpp" and (self.constrained or self.key_check):
            raise DecodingError("llamacpp_greedy")
        if self.engine == "browser" and self.checks:
            raise DecodingError("browser_checks")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")

    @classmethod
    def from_flags(cls, args: argparse.Namespace, batch_size: int | None = None) -> Decoding:
        """The decoding that the flags of ``maaza extract`` or ``edgejson-eval`` ask for; ValueError in their terms."""
        try:
            return cls(
                constrained=args.constrained,
                spans=args.spans,
                key_check=args.key_check,
                value_check=args.value_check,
                engine=args.engine,
                batch_size=batch_size,
            )
        except DecodingError as err:
            raise ValueError(err.say(FLAGS)) from None

    @property
    def checks(self) -> bool:
        """Whether answers go through the value or the key check."""
        return self.value_check or self.key_check

    @property
    def greedy(self) -> dict[str, Any]:
        """The generation settings of greedy decoding on this engine, as results files record them."""
        return {"do_sample": False, "num_beams": 1, **({"use_cache": True} if self.engine == "torch" else {})}
