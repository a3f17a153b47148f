"""One request's generation: the rule that stops each row of a batch as soon as its JSON object is complete (or at EOS,
its budget, a loop or a deadline), and what the row gives, a ``Generation``.

Usage: ``stopper = StopAtObjectEnd(tokenizer, budgets, eos)``, ``stopper.advance(row, token)`` for each new token, then
``stopper.generation(row, prompt_tokens, started)``
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import PreTrainedTokenizerBase, StoppingCriteria

from edgejson import format_answer
from edgejson.answer import read_answer
from maaza.inference.jsonscan import ObjectScanner

# A loop: the last REPEATS blocks of the same 1..MAX_BLOCK tokens are identical and span at least MIN_LOOP tokens.
REPEATS, MAX_BLOCK, MIN_LOOP = 3, 64, 24
# Constrained decoding does not cut an answer: one that loops or reaches its budget gets up to CLOSE_TOKENS more, in
# which the grammar's closing tokens win wherever it allows one (maaza.inference.constrained), so that it ends a
# valid object.
CLOSE_TOKENS = 96


@dataclass
class Generation:
    """One request's result: the text generated, the JSON object found in it, and what it cost."""

    raw: str  # generated text, special tokens left out
    output: dict[str, Any] | None  # the object ``edgejson.answer.read_answer`` reads from ``raw``, checked
    failure: str | None  # why no object was read (a kind of ``edgejson.answer.FAILURES``), else None
    prompt_tokens: int
    new_tokens: int  # generated tokens up to the end of the JSON object (or EOS, or the budget)
    latency_s: float  # from the start of its batch until its sequence was finished
    stop: str  # "json" (object complete), "closed" (complete after closing, constrained: see CLOSE_TOKENS), "eos",
    # "budget", "repetition" (a loop, see looping) or "time" (max_seconds)
    dropped: list[str] = field(default_factory=list)  # keys the value and key checks removed from the object read
    repaired: list[str] = field(default_factory=list)  # values the value check set to what the text states

    @property
    def answer(self) -> str:
        """The answer as text: ``raw``, or the checked object as compact JSON when a check changed it."""
        return format_answer(self.output) if self.dropped or self.repaired else self.raw


def looping(tokens: list[int]) -> bool:
    """Whether ``tokens`` end in a loop: one block of tokens repeated at least :data:`REPEATS` times and over at least
    :data:`MIN_LOOP` tokens (``1111...`` in a number, one array item again and again)."""
    for block in range(1, min(MAX_BLOCK, len(tokens) // REPEATS) + 1):
        span = block * max(REPEATS, -(-MIN_LOOP // block))
        if span > len(tokens) or tokens[-1] != tokens[-1 - block]:
            continue
        tail = tokens[-span:]
        if tail[block:] == tail[:-block]:  # periodic with period ``block``
            return True
    return False


class StopAtObjectEnd(StoppingCriteria):
    """Finishes each row when its JSON object is complete, it emits EOS, reaches its own budget, loops, or the deadline
    passes. With ``ceilings`` (constrained decoding), a row that loops or reaches its budget starts closing instead
    (``closing[row]``) and is cut only at its ceiling."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        budgets: list[int],
        eos: set[int],
        deadline: float = math.inf,
        ceilings: list[int] | None = None,
    ):
        self.tokenizer, self.budgets, self.eos = tokenizer, budgets, eos
        self.deadline = deadline  # time.perf_counter() value
        self.ceilings = ceilings
        self.closing = [False] * len(budgets)
        self.scanners = [ObjectScanner() for _ in budgets]
        self.stop: list[str | None] = [None] * len(budgets)
        self.finished_at = [0.0] * len(budgets)
        self.pieces: dict[int, str] = {}
        self.generated: list[list[int]] = [[] for _ in budgets]  # each row's new tokens, up to where it finished

    def _piece(self, token: int) -> str:
        if token not in self.pieces:
            self.pieces[token] = self.tokenizer.decode([token])
        return self.pieces[token]

    def advance(self, row: int, token: int) -> bool:
        """Record ``row``'s next new token; True once the row is finished."""
        if self.stop[row] is not None:
            return True
        generated = self.generated[row]
        generated.append(token)
        if self.scanners[row].feed(self._piece(token)):
            self.stop[row] = "closed" if self.closing[row] else "json"
        elif token in self.eos:
            self.stop[row] = "eos"
        elif self.closing[row] and len(generated) >= self.ceilings[row]:
            self.stop[row] = "budget"
        elif not self.closing[row] and (len(generated) >= self.budgets[row] or looping(generated)):
            if self.ceilings is not None and len(generated) < self.ceilings[row]:
                self.closing[row] = True
                return False
            self.stop[row] = "budget" if len(generated) >= self.budgets[row] else "repetition"
        elif time.perf_counter() > self.deadline:
            self.stop[row] = "time"
        else:
            return False
        self.finished_at[row] = time.perf_counter()
        return True

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs) -> torch.BoolTensor:
        done = [self.advance(row, token) for row, token in enumerate(input_ids[:, -1].tolist())]
        return torch.tensor(done, device=input_ids.device)

    def generation(self, row: int, prompt_tokens: int, started: float) -> Generation:
        """``row``'s result, its latency counted from ``started`` (the start of its batch)."""
        raw = self.tokenizer.decode(self.generated[row], skip_special_tokens=True)
        answer = read_answer(raw)
        return Generation(
            raw=raw,
            output=answer.value,
            failure=answer.failure,
            prompt_tokens=prompt_tokens,
            new_tokens=len(self.generated[row]),
            latency_s=(self.finished_at[row] or time.perf_counter()) - started,
            stop=self.stop[row] or "budget",
        )
