"""Schema-constrained decoding with xgrammar: each row of a batch follows its own JSON Schema, compact JSON only. A row
that is closing (it looped or used its budget) ends the string it is in, then takes closing brackets and braces where
its grammar allows them, so that it ends a valid object in a few tokens. A string whose format does not yet allow its
end (an email with no "@", half a date) is first completed with the shortest text that does (``string_completion``).

xgrammar was picked over llguidance by measurement on the 135M base (``scripts/bench_inference.py`` prints both).

With ``spans`` (the request texts), a free-form string value must also be a span of its text
(``maaza.inference.spans``).

``format`` is an annotation: a date, time or date-time may take any form a text writes it in (``text_formats``), so a
model copying ``2005-07-03T17:42:53.545351`` is not made to add a zone the text lacks.

Usage: ``processor = SchemaConstraint(tokenizer, vocab_size).processor(schemas, done, closing)`` (a logits processor
for ``model.generate``, greedy; ``done`` and ``closing``: per row, kept current by the caller)
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from typing import Any

import torch
import xgrammar as xgr
from transformers import LogitsProcessor, PreTrainedTokenizerBase

from edgejson.formats import PATTERNS as TEXT_FORMATS
from maaza.inference.onnx_engine import rewritten
from maaza.inference.spans import JsonCursor, escaped

CLOSE_BONUS = 1e4  # per unit of closing_bonus: more than any gap between two logits
# What a string is completed with when its format forbids its end: enough for email, date and date-time. One digit
# only, "1", which fits every place of a date or a time and keeps the search narrow.
COMPLETION_CHARS = "@.a1-:TZ"
COMPLETION_TRIES = 5000  # characters tried at most by one search (a date-time from "2024-" takes about 120)
SPAN_CANDIDATES = 64  # the likeliest allowed tokens tried for one that keeps a span; else the string ends


class SchemaConstraint:
    """Compiles JSON Schemas for one tokenizer (compiled grammars are cached) and makes logits processors."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, vocab_size: int):
        self.vocab_size = vocab_size
        info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size)
        self.compiler = xgr.GrammarCompiler(info)
        self.texts = [tokenizer.decode([token]) for token in range(min(len(tokenizer), vocab_size))]
        self.pieces: list[bytes] = info.decoded_vocab  # each token's bytes (a token may hold part of a character)
        self.closers = closing_bonus(self.texts, vocab_size, in_string=False)
        self.enders = closing_bonus(self.texts, vocab_size, in_string=True)
        self.ender_ids = self.enders.nonzero().squeeze(1)
        self.char_ids: dict[str, int] = {}  # the single-character token of each completion character
        for token, text in enumerate(self.texts):
            if len(text) == 1 and text in COMPLETION_CHARS:
                self.char_ids.setdefault(text, token)
        self.completion_chars = "".join(self.char_ids)  # those this vocabulary can write in one token
        self.compile_s = 0.0  # total time spent compiling schemas
        self.mask_s = 0.0  # total time the processors spent accepting tokens and masking logits

    def compile(self, schema: dict[str, Any]) -> xgr.CompiledGrammar:
        """The grammar of compact JSON (no whitespace) that validates against ``schema``."""
        started = time.perf_counter()
        try:
            grammar = self.compiler.compile_json_schema(
                json.dumps(text_formats(schema)), any_whitespace=False, separators=(",", ":")
            )
        except RuntimeError as err:
            raise ValueError(f"cannot constrain decoding to this schema: {err}") from None
        self.compile_s += time.perf_counter() - started
        return grammar

    def processor(
        self,
        schemas: list[dict[str, Any]],
        finished: Sequence[Any],
        closing: Sequence[bool],
        spans: Sequence[str] | None = None,
    ) -> SchemaLogitsProcessor:
        """A logits processor for one greedy ``generate`` call whose row ``i`` follows ``schemas[i]``.

        ``finished[i]`` is truthy once row ``i`` is done (its later tokens are padding), ``closing[i]`` once it should
        close its object as soon as it can; the caller keeps both current. ``spans[i]``: the text row ``i`` extracts
        from, whose spans its free-form strings must be (``maaza.inference.spans``).
        """
        grammars = [self.compile(schema) for schema in schemas]
        return SchemaLogitsProcessor(grammars, self, schemas, finished, closing, spans)


def text_formats(schema: Any) -> Any:
    """``schema`` with each date, time and date-time ``format`` given as the ``pattern`` of the forms texts write
    (``edgejson.formats``), for a grammar: xgrammar and llguidance would hold ``date-time`` to RFC 3339, zone required.
    A subschema with a pattern of its own keeps that one."""
    return rewritten(schema, _format_as_pattern)


def _format_as_pattern(schema: dict[str, Any]) -> dict[str, Any]:
    if isinstance(schema.get("format"), str) and schema["format"] in TEXT_FORMATS:
        schema.setdefault("pattern", TEXT_FORMATS[schema.pop("format")])
    return schema


def closing_bonus(texts: list[str], vocab_size: int, in_string: bool) -> torch.Tensor:
    """A bonus per token of the vocabulary (``texts``: each token's text) for a row that is closing.

    Inside a string only its end counts: 2 for a token that starts with a quote and holds nothing but quotes, brackets
    and braces (``"``, ``"}``, ``"]}``); a bracket there would be one more character of the string. Outside a string:
    2 for a token of brackets and braces only (``]``, ``}]``), 1 for one of quotes only (``"``: the empty string where
    a value must come), else 0.
    """
    bonus = torch.zeros(vocab_size)
    for token, text in enumerate(texts):
        if not text or not set(text) <= set('"]}'):
            continue
        if in_string:
            bonus[token] = 2.0 if text[0] == '"' else 0.0
        else:
            bonus[token] = 1.0 if set(text) == {'"'} else 0.0 if '"' in text else 2.0
    return bonus


def string_completion(matcher: xgr.GrammarMatcher, chars: str) -> str | None:
    """The shortest text of ``chars`` after which ``matcher``'s grammar lets the string it is in end (``""``: it may
    end now), or None if none is found within ``COMPLETION_TRIES`` characters. The matcher is left as it was.

    Usage: ``string_completion(matcher, "@.a")`` in the middle of an email with no "@" gives ``"@a"`` or longer.
    """
    if matcher.fork().accept_string('"'):
        return ""
    frontier, tries = [("", matcher)], 0
    while frontier and tries < COMPLETION_TRIES:
        longer = []
        for text, state in frontier:
            for char in chars:
                fork, tries = state.fork(), tries + 1
                if fork.accept_string(char):
                    if fork.fork().accept_string('"'):
                        return text + char
                    longer.append((text + char, fork))
        frontier = longer
    return None


class SchemaLogitsProcessor(LogitsProcessor):
    """Masks every token the row's grammar forbids; a finished row is left alone. Single use."""

    def __init__(
        self,
        grammars: list[xgr.CompiledGrammar],
        owner: SchemaConstraint,
        schemas: list[dict[str, Any]],
        finished: Sequence[Any],
        closing: Sequence[bool],
        spans: Sequence[str] | None = None,
    ):
        self.matchers = [xgr.GrammarMatcher(grammar) for grammar in grammars]
        self.cursors = [JsonCursor(schema) for schema in schemas]
        self.sources = [escaped(text) for text in spans] if spans is not None else None
        self.owner, self.finished, self.closing = owner, finished, closing
        self.bitmask = xgr.allocate_token_bitmask(len(grammars), owner.vocab_size)
        self.started = False

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        began = time.perf_counter()
        last = input_ids[:, -1].tolist()
        for row, matcher in enumerate(self.matchers):
            if self.finished[row]:
                self.bitmask[row].fill_(-1)  # its later tokens are padding
                continue
            if self.started:
                if not matcher.accept_token(last[row]):
                    raise RuntimeError(f"row {row}: the grammar rejected token {last[row]} it had allowed")
                self.cursors[row].feed(self.owner.pieces[last[row]])
            matcher.fill_next_token_bitmask(self.bitmask, row)
        self.started = True
        xgr.apply_token_bitmask_inplace(scores, self.bitmask.to(scores.device), vocab_size=self.owner.vocab_size)
        for row, cursor in enumerate(self.cursors if self.sources is not None else ()):
            if cursor.span is not None and not self.finished[row] and not self.closing[row]:
                self._keep_span(row, scores)
        rows = [row for row, closing in enumerate(self.closing) if closing and not self.finished[row]]
        if rows:  # forbidden tokens stay at -inf
            width = min(scores.shape[1], self.owner.vocab_size)
            inside = torch.tensor([self.cursors[row].inside for row in rows]).unsqueeze(1)
            bonus = torch.where(inside, self.owner.enders[:width], self.owner.closers[:width])
            for index, row in enumerate(rows):
                if inside[index] and torch.isinf(scores[row, self.owner.ender_ids]).all():  # its end is not allowed
                    bonus[index] = 0.0
                    text = string_completion(self.matchers[row], self.owner.completion_chars)
                    if text:
                        bonus[index, self.owner.char_ids[text[0]]] = 2.0
            scores[rows, :width] += CLOSE_BONUS * bonus.to(scores.device)
        self.owner.mask_s += time.perf_counter() - began
        return scores

    def _keep_span(self, row: int, scores: torch.FloatTensor) -> None:
        """Leave row ``row`` one token: the likeliest allowed one that keeps its string a span of its text, else the
        likeliest that ends the string (when the grammar allows no end yet, the grammar's choice stands)."""
        cursor, source, pieces = self.cursors[row], self.sources[row], self.owner.pieces
        best = torch.topk(scores[row], SPAN_CANDIDATES)
        keep = None
        for score, token in zip(best.values.tolist(), best.indices.tolist(), strict=True):
            if score == -math.inf:
                break
            if token < len(pieces) and cursor.allows(pieces[token], source):
                keep = token
                break
        if keep is None:
            enders = self.owner.ender_ids.to(scores.device)
            if torch.isinf(scores[row, enders]).all():
                return
            keep = int(enders[scores[row, enders].argmax()])
        kept = scores[row, keep].clone()
        scores[row] = -math.inf
        scores[row, keep] = kept
