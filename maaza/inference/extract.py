"""Text -> JSON with a base (and optionally a LoRA adapter): the canonical prompt, greedy batched decoding that stops
each sequence as soon as its JSON object is complete, and optional schema-constrained decoding. Two engines: ``torch``
(transformers) and ``onnx`` (an ONNX Runtime GenAI folder made by ``maaza export``), both able to batch. With
``value_check=True`` each answer then goes through the value check of ``maaza.checks.values``, with ``key_check=True``
through the optional-key check of ``maaza.checks.keys``; torch engine only, ``spans=True`` adds the span rule to
constrained decoding (``maaza.inference.spans``: free-form strings are copied from the text).

Usage: ``Extractor.load().extract("contact_info", "Reach Ana Diaz at ana@diaz.dev")``
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from tqdm.auto import tqdm
from transformers import (
    AutoTokenizer,
    GenerationConfig,
    LogitsProcessorList,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteria,
    StoppingCriteriaList,
)

from edgejson import build_messages, format_answer, schema_template
from edgejson.answer import read_answer
from edgejson.schemas import load_schema
from maaza.adapters import attach_adapter
from maaza.bases import DEFAULT_BASE, load_base, prepare_tokenizer
from maaza.checks.keys import check_keys
from maaza.checks.values import check_values
from maaza.inference.constrained import SchemaConstraint, text_formats
from maaza.inference.jsonscan import ObjectScanner
from maaza.inference.onnx_engine import OnnxModel
from maaza.inference.scoring import answer_scorer

# An answer's budget from what is known at inference time: the tokens of the schema's template plus those of the text,
# plus a margin. An answer holds keys from the template and values from the text: every EdgeJSON answer (compact, as
# Maaza and the grammar write it) is at most 0.89 of template + text (SmolLM2 tokenizer, every split and config).
ANSWER_MARGIN = 32
# A loop: the last REPEATS blocks of the same 1..MAX_BLOCK tokens are identical and span at least MIN_LOOP tokens.
REPEATS, MAX_BLOCK, MIN_LOOP = 3, 64, 24
# Constrained decoding does not cut an answer: one that loops or reaches its budget gets up to CLOSE_TOKENS more, in
# which the grammar's closing tokens win wherever it allows one (maaza.inference.constrained), so that it ends a
# valid object.
CLOSE_TOKENS = 96
ENGINES = ("torch", "onnx")
# Sequences decoded together by default. ONNX Runtime GenAI decodes a batch until its longest row ends, and the 4- and
# 8-bit builds' MatMulNBits lose their one-row kernel in a batch: those decode one request at a time, the faster for
# them (first 16 test examples, v0.3, 2-core AMD EPYC: q4 0.445 against 0.353 examples/s in batches of 8, int4 0.624
# against 0.480); fp32 ONNX batches as torch does (0.279 against 0.221 one at a time).
BATCH_SIZE = 8
TORCH_PRECISIONS = {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16"}


def check_text(text: str) -> str:
    """``text`` itself; ValueError when it is empty or blank."""
    if not text.strip():
        raise ValueError("the text is empty: there is nothing to extract from")
    return text


# How check_decoding's messages name the span rule and the remedies, in the terms of whoever set the options: the
# Python API (the default), the command-line flags, or a form's checkboxes (the Space has its own).
API_TERMS = {"spans": "the span rule", "constrained": "set constrained=True", "torch": 'load with engine="torch"'}
FLAGS = {"spans": "--spans", "constrained": "add --constrained", "torch": "use --engine torch"}


def check_decoding(engine: str, constrained: bool, spans: bool, terms: dict[str, str] = API_TERMS) -> None:
    """ValueError when decoding options do not go together: the span rule runs on the torch engine, within
    constrained decoding. ``terms``: how the message names the span rule and each remedy (see ``API_TERMS``)."""
    if spans and engine != "torch":
        raise ValueError(f"{terms['spans']} runs on the torch engine: {terms['torch']}")
    if spans and not constrained:
        raise ValueError(
            f"{terms['spans']} is part of constrained decoding on the torch engine: {terms['constrained']}"
        )


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


class _StopAtObjectEnd(StoppingCriteria):
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


class Extractor:
    """A model and tokenizer ready to extract JSON; ``constrained=True`` makes outputs follow their JSON Schema,
    ``spans=True`` (with it) makes each free-form string a span of the text (``maaza.inference.spans``),
    ``value_check=True`` holds dates, numbers, enum members and repeated strings to what the text states
    (``maaza.checks.values``), then ``key_check=True`` drops the optional keys the model finds the answer likelier
    without (``maaza.checks.keys``).

    ``model``: a transformers model (engine ``torch``) or an ``OnnxModel`` (engine ``onnx``).
    """

    def __init__(
        self,
        model: PreTrainedModel | OnnxModel,
        tokenizer: PreTrainedTokenizerBase,
        constrained: bool = False,
        key_check: bool = False,
        spans: bool = False,
        value_check: bool = False,
    ):
        self.model, self.tokenizer, self.constrained, self.key_check = model, tokenizer, constrained, key_check
        self.spans, self.value_check = spans, value_check
        if isinstance(model, OnnxModel):
            self.engine, self.precision, self.context = "onnx", model.precision, model.context
            eos: Any = model.eos_token_ids
            self.decoding: dict[str, Any] = {"do_sample": False, "num_beams": 1}  # greedy, recorded in results
        else:
            self.engine, self.precision = "torch", TORCH_PRECISIONS.get(model.dtype, str(model.dtype))
            self.context = getattr(model.config, "max_position_embeddings", None) or tokenizer.model_max_length
            eos = model.generation_config.eos_token_id
            self.decoding = {"do_sample": False, "num_beams": 1, "use_cache": True}
        self.eos = {tokenizer.eos_token_id, *(eos if isinstance(eos, list) else [eos])} - {None}
        self._constraint: SchemaConstraint | None = None

    @classmethod
    def load(
        cls,
        model: str | os.PathLike = DEFAULT_BASE,
        adapter: str | os.PathLike | None = None,
        constrained: bool = False,
        engine: str = "torch",
        key_check: bool = False,
        spans: bool = False,
        value_check: bool = False,
    ) -> Extractor:
        """Load a base (registry name, local folder or Hub id), merge an optional LoRA adapter into it; with
        ``engine="onnx"``, ``model`` is a folder made by ``maaza export`` (its adapter merged in already)."""
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}: choose from {', '.join(ENGINES)}")
        check_decoding(engine, constrained, spans)
        if engine == "onnx":
            if adapter is not None:
                raise ValueError(
                    "the onnx engine loads a folder made by `maaza export`, its adapter merged in: give that folder "
                    "as the model and no adapter"
                )
            onnx = OnnxModel(model)
            tokenizer = prepare_tokenizer(AutoTokenizer.from_pretrained(onnx.folder))
            return cls(onnx, tokenizer, constrained=constrained, key_check=key_check, value_check=value_check)
        base, tokenizer = load_base(model)
        if adapter is not None:
            base = attach_adapter(base, str(model), adapter)
        return cls(base, tokenizer, constrained=constrained, key_check=key_check, spans=spans, value_check=value_check)

    @property
    def constraint(self) -> SchemaConstraint:
        if self._constraint is None:
            self._constraint = SchemaConstraint(self.tokenizer, self.model.config.vocab_size)
        return self._constraint

    def prompt_ids(self, schema: dict[str, Any], text: str) -> list[int]:
        """Token ids of the canonical prompt, rendered by the tokenizer's chat template as TRL renders it."""
        messages = build_messages(schema, check_text(text))
        return list(self.tokenizer.apply_chat_template(messages, add_generation_prompt=True)["input_ids"])

    def budget(self, schema: dict[str, Any], text: str) -> int:
        """The max_new_tokens of a request, from what is known before answering: tokens of the schema's template and
        of the text, plus :data:`ANSWER_MARGIN`."""
        template_tokens = len(self.tokenizer(schema_template(schema), add_special_tokens=False)["input_ids"])
        return template_tokens + len(self.tokenizer(text, add_special_tokens=False)["input_ids"]) + ANSWER_MARGIN

    def extract(
        self, schema: dict[str, Any] | str | os.PathLike, text: str, max_new_tokens: int | None = None
    ) -> dict[str, Any] | None:
        """The JSON object extracted from ``text``, None when the model gave none; ``schema``: dict, id or file."""
        return self.generate([(schema, text)], max_new_tokens=max_new_tokens)[0].output

    def generate(
        self,
        requests: Sequence[tuple[dict[str, Any] | str | os.PathLike, str]],
        max_new_tokens: int | Sequence[int] | None = None,
        batch_size: int | None = None,
        progress: bool = False,
        max_seconds: float = math.inf,
    ) -> list[Generation]:
        """Run (schema, text) requests in batches of similar budget and prompt length, results in the order given.

        ``max_new_tokens``: one budget for all, one per request, or None for each request's own :meth:`budget`.
        A sequence that starts to loop stops there (``stop="repetition"``).
        ``max_seconds``: generation stops (``stop="time"``) once this long has passed since the call began.
        ``batch_size``: sequences decoded together, None for the default of :meth:`batch_size`.
        The onnx engine decodes constrained requests one at a time (its guidance is one grammar for all rows).
        With the value or key check, a request's latency runs until its checked answer is ready.
        """
        check_decoding(self.engine, self.constrained, self.spans)
        batch_size = self.batch_size(batch_size)
        schemas = [schema if isinstance(schema, dict) else load_schema(schema) for schema, _ in requests]
        prompts = [self.prompt_ids(schema, text) for schema, (_, text) in zip(schemas, requests, strict=True)]
        if max_new_tokens is None:
            budgets = [self.budget(schema, text) for schema, (_, text) in zip(schemas, requests, strict=True)]
        elif isinstance(max_new_tokens, int):
            budgets = [max_new_tokens] * len(requests)
        else:
            budgets = list(max_new_tokens)
        budgets = [self._fit_context(len(prompt), budget) for prompt, budget in zip(prompts, budgets, strict=True)]
        order = sorted(range(len(requests)), key=lambda i: (-budgets[i], -len(prompts[i])))
        deadline = time.perf_counter() + max_seconds
        results: list[Generation | None] = [None] * len(requests)
        with tqdm(total=len(requests), desc="Generating", unit="ex", disable=not progress) as bar:
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                run = self._generate_onnx if self.engine == "onnx" else self._generate_batch
                started = time.perf_counter()
                batch = run(
                    [prompts[i] for i in rows],
                    [budgets[i] for i in rows],
                    [schemas[i] for i in rows],
                    [requests[i][1] for i in rows],
                    deadline,
                )
                for i, generation in zip(rows, batch, strict=True):
                    if generation.output is not None and (self.value_check or self.key_check):
                        generation = self._check(generation, prompts[i], schemas[i], requests[i][1], started)
                    results[i] = generation
                bar.update(len(rows))
        return results

    def _check(
        self, generation: Generation, prompt: list[int], schema: dict[str, Any], text: str, started: float
    ) -> Generation:
        """``generation`` through the value check, then the key check, as this extractor runs them."""
        output, dropped, repaired = generation.output, [], []
        if self.value_check:
            output, dropped, repaired = check_values(text, schema, output)
        if self.key_check:
            output, more = check_keys(answer_scorer(self.model, self.tokenizer, prompt), schema, output, text)
            dropped += more
        latency = time.perf_counter() - started
        return replace(generation, output=output, dropped=dropped, repaired=repaired, latency_s=latency)

    def batch_size(self, requested: int | None = None) -> int:
        """The sequences decoded together for ``requested``; None: :data:`BATCH_SIZE`, or 1 for a quantized ONNX
        build. Constrained onnx decodes one request at a time (its guidance is one grammar)."""
        if self.engine == "onnx" and self.constrained:
            return 1
        if requested is not None:
            return requested
        return 1 if self.engine == "onnx" and self.precision != "fp32" else BATCH_SIZE

    def _fit_context(self, prompt_tokens: int, budget: int) -> int:
        if budget < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {budget}")
        room = self.context - prompt_tokens
        if room < 1:
            raise ValueError(
                f"the prompt is {prompt_tokens} tokens but the model's context is {self.context} tokens: "
                f"shorten the text by at least {1 - room} tokens"
            )
        if budget > room:
            warnings.warn(
                f"the prompt ({prompt_tokens} tokens) leaves {room} of the context's {self.context} tokens for the "
                f"answer, fewer than its budget of {budget}: the answer may be cut short",
                stacklevel=3,
            )
        return min(budget, room)

    @torch.inference_mode()
    def _generate_batch(
        self,
        prompts: list[list[int]],
        budgets: list[int],
        schemas: list[dict[str, Any]],
        texts: list[str],
        deadline: float,
    ) -> list[Generation]:
        inputs = self.tokenizer.pad({"input_ids": prompts}, return_tensors="pt").to(self.model.device)
        ceilings = None
        if self.constrained:
            rooms = [self.context - len(prompt) for prompt in prompts]
            ceilings = [min(b + CLOSE_TOKENS, room) for b, room in zip(budgets, rooms, strict=True)]
        stopper = _StopAtObjectEnd(self.tokenizer, budgets, self.eos, deadline, ceilings)
        processors = LogitsProcessorList(
            [self.constraint.processor(schemas, stopper.stop, stopper.closing, texts if self.spans else None)]
            if self.constrained
            else []
        )
        config = GenerationConfig(
            **self.decoding,
            max_new_tokens=max(ceilings or budgets),
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=sorted(self.eos),
        )
        started = time.perf_counter()
        self.model.generate(  # the stopper keeps each row's new tokens
            **inputs,
            generation_config=config,
            stopping_criteria=StoppingCriteriaList([stopper]),
            logits_processor=processors,
        )
        return [self._generation(prompt, stopper, row, started) for row, prompt in enumerate(prompts)]

    def _generate_onnx(
        self,
        prompts: list[list[int]],
        budgets: list[int],
        schemas: list[dict[str, Any]],
        texts: list[str],
        deadline: float,
    ) -> list[Generation]:
        """A batch decoded by ONNX Runtime GenAI, each row stopped as the torch engine stops it (a batch whose
        prompts cannot be padded together runs one request at a time)."""
        if len(prompts) > 1 and not self.model.can_batch(prompts):
            alone = zip(prompts, budgets, schemas, texts, strict=True)
            return [self._generate_onnx([p], [b], [s], [t], deadline)[0] for p, b, s, t in alone]
        stopper = _StopAtObjectEnd(self.tokenizer, budgets, self.eos, deadline)
        started = time.perf_counter()
        max_length = min(self.context, max(map(len, prompts)) + max(budgets))  # the padded width counts
        generator = self.model.generator(prompts, max_length, text_formats(schemas[0]) if self.constrained else None)
        while not generator.is_done():
            generator.generate_next_token()
            done = [stopper.advance(row, int(token)) for row, token in enumerate(generator.get_next_tokens())]
            if all(done):
                break
        return [self._generation(prompt, stopper, row, started) for row, prompt in enumerate(prompts)]

    def _generation(self, prompt: list[int], stopper: _StopAtObjectEnd, row: int, started: float) -> Generation:
        raw = self.tokenizer.decode(stopper.generated[row], skip_special_tokens=True)
        answer = read_answer(raw)
        return Generation(
            raw=raw,
            output=answer.value,
            failure=answer.failure,
            prompt_tokens=len(prompt),
            new_tokens=len(stopper.generated[row]),
            latency_s=(stopper.finished_at[row] or time.perf_counter()) - started,
            stop=stopper.stop[row] or "budget",
        )
