"""Text -> JSON with a base (and optionally a LoRA adapter): the canonical prompt, greedy batched decoding that stops
each sequence as soon as its JSON object is complete, and the decoding its ``Decoding`` record asks for
(``maaza.inference.decoding``): schema-constrained, with the span rule, the value check of ``maaza.checks.values`` and
the optional-key check of ``maaza.checks.keys``. Two engines (``maaza.inference.engines``): ``torch`` (transformers)
and ``onnx`` (an ONNX Runtime GenAI folder made by ``maaza export``), both able to batch.

Usage: ``Extractor.load().extract("contact_info", "Reach Ana Diaz at ana@diaz.dev")``
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from tqdm.auto import tqdm
from transformers import AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from edgejson import build_messages, schema_template
from edgejson.schemas import load_schema
from maaza.adapters import attach_adapter
from maaza.bases import DEFAULT_BASE, load_base, prepare_tokenizer, resolve_base
from maaza.checks.keys import check_keys
from maaza.checks.values import check_values
from maaza.inference.browser_page import BrowserPage
from maaza.inference.constrained import SchemaConstraint
from maaza.inference.decoding import Decoding
from maaza.inference.engines import Batch, BrowserEngine, LlamaCppEngine, OnnxEngine, TorchEngine
from maaza.inference.generation import Generation
from maaza.inference.gguf_model import GgufModel
from maaza.inference.onnx_engine import OnnxModel
from maaza.inference.scoring import answer_scorer

# An answer's budget from what is known at inference time: the tokens of the schema's template plus those of the text,
# plus a margin. An answer holds keys from the template and values from the text: every EdgeJSON answer (compact, as
# Maaza and the grammar write it) is at most 0.89 of template + text (SmolLM2 tokenizer, every split and config).
ANSWER_MARGIN = 32
# Sequences decoded together by default. ONNX Runtime GenAI decodes a batch until its longest row ends, and the 4- and
# 8-bit builds' MatMulNBits lose their one-row kernel in a batch: those decode one request at a time, the faster for
# them (first 16 test examples, v0.3, 2-core AMD EPYC: q4 0.445 against 0.353 examples/s in batches of 8, int4 0.624
# against 0.480); fp32 ONNX batches as torch does (0.279 against 0.221 one at a time).
BATCH_SIZE = 8


def check_text(text: str) -> str:
    """``text`` itself; ValueError when it is empty or blank."""
    if not text.strip():
        raise ValueError("the text is empty: there is nothing to extract from")
    return text


class Extractor:
    """A model and tokenizer ready to extract JSON, decoding as its :attr:`decoding` says (constrained, with the span
    rule, the value and the key check: ``maaza.inference.decoding``).

    ``model``: a transformers model (engine ``torch``), an ``OnnxModel`` (engine ``onnx``), a ``GgufModel`` (engine
    ``llamacpp``) or a ``BrowserPage`` (engine ``browser``); ``decoding``: None for greedy decoding on the model's
    engine.
    """

    def __init__(
        self,
        model: PreTrainedModel | OnnxModel | GgufModel | BrowserPage,
        tokenizer: PreTrainedTokenizerBase,
        decoding: Decoding | None = None,
    ):
        self.model, self.tokenizer = model, tokenizer
        if isinstance(model, OnnxModel):
            self.backend = OnnxEngine(model, tokenizer)
        elif isinstance(model, GgufModel):
            self.backend = LlamaCppEngine(model, tokenizer)
        elif isinstance(model, BrowserPage):
            self.backend = BrowserEngine(model, tokenizer)
        else:
            self.backend = TorchEngine(model, tokenizer)
        self.engine, self.precision, self.context = self.backend.name, self.backend.precision, self.backend.context
        self.decoding = decoding or Decoding(engine=self.engine)

    @property
    def decoding(self) -> Decoding:
        """How this extractor decodes; another decoding may be set, on the same engine."""
        return self._decoding

    @decoding.setter
    def decoding(self, decoding: Decoding) -> None:
        if decoding.engine != self.engine:
            raise ValueError(f"this extractor's model runs on the {self.engine} engine, not the {decoding.engine} one")
        self._decoding = decoding

    @classmethod
    def load(
        cls,
        model: str | os.PathLike = DEFAULT_BASE,
        adapter: str | os.PathLike | None = None,
        decoding: Decoding | None = None,
    ) -> Extractor:
        """Load a base (registry name, local folder or Hub id), merge an optional LoRA adapter into it; on the onnx
        engine (``decoding.engine``), ``model`` is a folder made by ``maaza export`` (its adapter merged in already).
        ``decoding``: None for greedy decoding on the torch engine."""
        decoding = decoding or Decoding()
        if decoding.engine != "torch" and adapter is not None:
            held = "merged in" if decoding.engine == "onnx" else "beside its base as a GGUF LoRA file"
            raise ValueError(
                f"the {decoding.engine} engine loads a folder made by `maaza export`, its adapter {held}: give that "
                "folder as the model and no adapter"
            )
        if decoding.engine == "onnx":
            onnx = OnnxModel(model)
            return cls(onnx, prepare_tokenizer(AutoTokenizer.from_pretrained(onnx.folder)), decoding)
        if decoding.engine in ("llamacpp", "browser"):
            gguf = GgufModel(model) if decoding.engine == "llamacpp" else BrowserPage(model)
            tokenizer = AutoTokenizer.from_pretrained(resolve_base(gguf.info.base))
            return cls(gguf, prepare_tokenizer(tokenizer), decoding)
        base, tokenizer = load_base(model)
        if adapter is not None:
            base = attach_adapter(base, str(model), adapter)
        return cls(base, tokenizer, decoding)

    def __enter__(self) -> Extractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close what the engine runs outside Python: the browser engine's Chromium and page server (a no-op on the
        other engines). ``with Extractor.load(...) as extractor:`` closes it on leaving."""
        if isinstance(self.model, BrowserPage):
            self.model.close()

    @property
    def constraint(self) -> SchemaConstraint:
        """The torch engine's schema constraint: what compiling and masking cost."""
        return self.backend.constraint

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
                started = time.perf_counter()
                batch = Batch(
                    [prompts[i] for i in rows],
                    [budgets[i] for i in rows],
                    [schemas[i] for i in rows],
                    [requests[i][1] for i in rows],
                    deadline,
                )
                for i, generation in zip(rows, self.backend.decode(batch, self.decoding), strict=True):
                    if generation.output is not None and self.decoding.checks:
                        generation = self._check(generation, prompts[i], schemas[i], requests[i][1], started)
                    results[i] = generation
                bar.update(len(rows))
        return results

    def _check(
        self, generation: Generation, prompt: list[int], schema: dict[str, Any], text: str, started: float
    ) -> Generation:
        """``generation`` through the value check, then the key check, as this extractor runs them."""
        output, dropped, repaired = generation.output, [], []
        if self.decoding.value_check:
            output, dropped, repaired = check_values(text, schema, output)
        if self.decoding.key_check:
            output, more = check_keys(answer_scorer(self.model, self.tokenizer, prompt), schema, output, text)
            dropped += more
        latency = time.perf_counter() - started
        return replace(generation, output=output, dropped=dropped, repaired=repaired, latency_s=latency)

    def batch_size(self, requested: int | None = None) -> int:
        """The sequences decoded together for ``requested``; None: the decoding's ``batch_size``, else
        :data:`BATCH_SIZE`, or 1 for a quantized ONNX build. Constrained onnx decodes one request at a time (its
        guidance is one grammar), and so do llamacpp and the browser."""
        if self.engine in ("llamacpp", "browser") or (self.engine == "onnx" and self.decoding.constrained):
            return 1
        requested = self.decoding.batch_size if requested is None else requested
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
