"""The engines an ``Extractor`` decodes a batch on, greedily, each row stopped once its JSON object is complete
(``maaza.inference.generation``): ``torch`` (transformers, constrained by xgrammar), ``onnx`` (an ONNX Runtime GenAI
folder made by ``maaza export``, constrained by its guidance), ``llamacpp`` (a GGUF folder made by ``maaza export``,
run by llama.cpp, unconstrained) and ``browser`` (a GGUF folder run by the browser page, llama.cpp in WebAssembly,
constrained by llama.cpp's grammar).

Usage: ``generations = TorchEngine(model, tokenizer).decode(Batch(prompts, budgets, schemas, texts), Decoding())``
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import torch
from transformers import (
    GenerationConfig,
    LogitsProcessorList,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteriaList,
)

from edgejson import build_messages
from edgejson.answer import read_answer
from maaza.inference.browser_page import BrowserPage
from maaza.inference.constrained import SchemaConstraint, text_formats
from maaza.inference.decoding import Decoding
from maaza.inference.generation import CLOSE_TOKENS, Generation, StopAtObjectEnd
from maaza.inference.gguf_model import GgufModel
from maaza.inference.onnx_engine import OnnxModel

TORCH_PRECISIONS = {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16"}


@dataclass(frozen=True)
class Batch:
    """Requests decoded together: each one's prompt ids, answer budget, JSON Schema and text, and when to stop."""

    prompts: list[list[int]]
    budgets: list[int]
    schemas: list[dict[str, Any]]
    texts: list[str]
    deadline: float = math.inf  # a time.perf_counter() value

    def alone(self) -> list[Batch]:
        """Each request as a batch of its own."""
        rows = zip(self.prompts, self.budgets, self.schemas, self.texts, strict=True)
        return [Batch([p], [b], [s], [t], self.deadline) for p, b, s, t in rows]


def _eos(tokenizer: PreTrainedTokenizerBase, eos: int | list[int] | None) -> set[int]:
    """The tokenizer's EOS id and the model's."""
    return {tokenizer.eos_token_id, *(eos if isinstance(eos, list) else [eos])} - {None}


class TorchEngine:
    """transformers' ``generate`` on a batch of left-padded prompts; constrained decoding masks each row's logits to
    its JSON Schema (``maaza.inference.constrained``, compiled by :attr:`constraint`)."""

    name = "torch"

    def __init__(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase):
        self.model, self.tokenizer = model, tokenizer
        self.precision = TORCH_PRECISIONS.get(model.dtype, str(model.dtype))
        self.context = getattr(model.config, "max_position_embeddings", None) or tokenizer.model_max_length
        self.eos = _eos(tokenizer, model.generation_config.eos_token_id)
        self._constraint: SchemaConstraint | None = None

    @property
    def constraint(self) -> SchemaConstraint:
        if self._constraint is None:
            self._constraint = SchemaConstraint(self.tokenizer, self.model.config.vocab_size)
        return self._constraint

    @torch.inference_mode()
    def decode(self, batch: Batch, decoding: Decoding) -> list[Generation]:
        inputs = self.tokenizer.pad({"input_ids": batch.prompts}, return_tensors="pt").to(self.model.device)
        ceilings = None
        if decoding.constrained:
            rooms = [self.context - len(prompt) for prompt in batch.prompts]
            ceilings = [min(b + CLOSE_TOKENS, room) for b, room in zip(batch.budgets, rooms, strict=True)]
        stopper = StopAtObjectEnd(self.tokenizer, batch.budgets, self.eos, batch.deadline, ceilings)
        spans = batch.texts if decoding.spans else None
        processors = LogitsProcessorList(
            [self.constraint.processor(batch.schemas, stopper.stop, stopper.closing, spans)]
            if decoding.constrained
            else []
        )
        config = GenerationConfig(
            **decoding.greedy,
            max_new_tokens=max(ceilings or batch.budgets),
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
        return [stopper.generation(row, len(prompt), started) for row, prompt in enumerate(batch.prompts)]


class OnnxEngine:
    """ONNX Runtime GenAI's generator, token by token, each row stopped as the torch engine stops it; constrained
    decoding takes one request at a time (the guidance is one grammar for all rows)."""

    name = "onnx"

    def __init__(self, model: OnnxModel, tokenizer: PreTrainedTokenizerBase):
        self.model, self.tokenizer = model, tokenizer
        self.precision, self.context = model.precision, model.context
        self.eos = _eos(tokenizer, model.eos_token_ids)

    def decode(self, batch: Batch, decoding: Decoding) -> list[Generation]:
        """``batch``'s generations (a batch whose prompts cannot be padded together runs one request at a time)."""
        if len(batch.prompts) > 1 and not self.model.can_batch(batch.prompts):
            return [self.decode(alone, decoding)[0] for alone in batch.alone()]
        stopper = StopAtObjectEnd(self.tokenizer, batch.budgets, self.eos, batch.deadline)
        started = time.perf_counter()
        max_length = min(self.context, max(map(len, batch.prompts)) + max(batch.budgets))  # the padded width counts
        schema = text_formats(batch.schemas[0]) if decoding.constrained else None
        generator = self.model.generator(batch.prompts, max_length, schema)
        while not generator.is_done():
            generator.generate_next_token()
            done = [stopper.advance(row, int(token)) for row, token in enumerate(generator.get_next_tokens())]
            if all(done):
                break
        return [stopper.generation(row, len(prompt), started) for row, prompt in enumerate(batch.prompts)]


class LlamaCppEngine:
    """llama.cpp on a GGUF folder, one request after another, each row stopped as the torch engine stops it."""

    name = "llamacpp"

    def __init__(self, model: GgufModel, tokenizer: PreTrainedTokenizerBase):
        self.model, self.tokenizer = model, tokenizer
        self.precision, self.context = model.precision, model.context
        self.eos = _eos(tokenizer, model.eos_token_id)

    def decode(self, batch: Batch, decoding: Decoding) -> list[Generation]:
        stopper = StopAtObjectEnd(self.tokenizer, batch.budgets, self.eos, batch.deadline)
        started = time.perf_counter()
        for row, prompt in enumerate(batch.prompts):
            for token in self.model.greedy(prompt):
                if stopper.advance(row, int(token)):
                    break
        return [stopper.generation(row, len(prompt), started) for row, prompt in enumerate(batch.prompts)]


class BrowserEngine:
    """The browser page (``maaza.inference.browser_page``), one request after another, each given its budget. The
    page's prompt must be Python's, character for character (a RuntimeError says so when it is not); llama.cpp
    tokenizes it, and splits a run of whitespace before an indented line otherwise than the tokenizer Maaza was trained
    with: :attr:`retokenized` counts the prompts it tokenized into another number of tokens."""

    name = "browser"

    def __init__(self, page: BrowserPage, tokenizer: PreTrainedTokenizerBase):
        self.page, self.tokenizer = page, tokenizer
        self.precision, self.context = page.precision, page.context
        self.decode_s: list[float] = []  # the page's own seconds for each answer's tokens, the prompt's left out
        self.decoded_tokens = 0
        self.retokenized = 0

    def decode(self, batch: Batch, decoding: Decoding) -> list[Generation]:
        generations = []
        for prompt, budget, schema, text in zip(batch.prompts, batch.budgets, batch.schemas, batch.texts, strict=True):
            out = self.page.extract(schema, text, budget, decoding.constrained)
            expected = self.tokenizer.apply_chat_template(
                build_messages(schema, text), tokenize=False, add_generation_prompt=True
            )
            if out["prompt"] != expected:
                first = next(
                    (i for i, (a, b) in enumerate(zip(out["prompt"], expected, strict=False)) if a != b), None
                )
                raise RuntimeError(
                    f"the browser page's prompt is not Python's (edgejson.build_messages in the tokenizer's chat "
                    f"template): {len(out['prompt'])} characters against {len(expected)}, first differing at {first}"
                )
            self.retokenized += out["promptTokens"] != len(prompt)
            if out["tokens"] and out.get("tokensPerSecond"):
                self.decode_s.append(out["tokens"] / out["tokensPerSecond"])
                self.decoded_tokens += out["tokens"]
            answer = read_answer(out["raw"])
            stop = "budget" if out["finish"] == "length" else "json" if answer.value is not None else "eos"
            generations.append(
                Generation(
                    raw=out["raw"],
                    output=answer.value,
                    failure=answer.failure,
                    prompt_tokens=out["promptTokens"],
                    new_tokens=out["tokens"],
                    latency_s=out["seconds"],
                    stop=stop,
                )
            )
        return generations
