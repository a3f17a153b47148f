"""The model of the onnx engine (``maaza.inference.engines``): an ONNX Runtime GenAI folder (``maaza export``)
decoding greedily, in batches of right-padded prompts (ONNX Runtime GenAI reads trailing pad tokens as padding; left
padding changes its outputs), or one request at a time with JSON-Schema guidance (compact JSON, as the torch engine's
grammar writes it); it scores answers for the optional-key check.

Usage: ``Extractor.load("exports/maaza-mlm-135m-json/int4", decoding=Decoding(engine="onnx"))``
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from maaza.export.info import ExportError, read_export_info, require_genai

# llguidance options: no whitespace, compact separators.
COMPACT = {"whitespace_flexible": False, "item_separator": ",", "key_separator": ":"}
MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")  # name -> subschema
LITERALS = ("enum", "const", "default", "examples", "required")  # values, not subschemas


def rewritten(schema: Any, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    """``schema`` with ``change`` made to each of its objects, inner ones first (``change`` gets a copy it may alter);
    literal values (``LITERALS``) and the names of subschemas (``MAPS``) are left as they are."""
    if isinstance(schema, list):
        return [rewritten(item, change) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in MAPS and isinstance(value, dict):
            out[key] = {name: rewritten(subschema, change) for name, subschema in value.items()}
        else:
            out[key] = value if key in LITERALS else rewritten(value, change)
    return change(out)


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("type") == "object" or "properties" in schema:
        schema.setdefault("additionalProperties", False)
    return schema


def strict(schema: Any) -> Any:
    """``schema`` with ``additionalProperties: false`` wherever an object leaves it unsaid: the strict mode of the
    torch engine's grammar (xgrammar), so that both engines allow the same objects."""
    return rewritten(schema, _closed)


def _log_probs(logits: np.ndarray, tokens: list[int]) -> np.ndarray:
    """The log-probability of each ``tokens[i]`` under ``logits[i]`` (fp32, as the torch engine scores them)."""
    top = logits.max(-1)
    chosen = logits[np.arange(len(tokens)), tokens]
    return chosen - top - np.log(np.exp(logits - top[:, None]).sum(-1))


class OnnxModel:
    """An ONNX Runtime GenAI model folder: its context, EOS ids, precision, and a greedy generator per request."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        config_path = self.folder / "genai_config.json"
        if not config_path.is_file():
            raise ExportError(f"{folder} is not an ONNX Runtime GenAI folder: {config_path} does not exist")
        self.og = require_genai()
        config = json.loads(config_path.read_text(encoding="utf-8"))["model"]
        self.context: int = config["context_length"]
        eos = config.get("eos_token_id")
        self.eos_token_ids: list[int] = eos if isinstance(eos, list) else [eos]
        self.pad_token_id: int = config.get("pad_token_id", self.eos_token_ids[0])
        self.info = read_export_info(folder) if (self.folder / "export_info.json").is_file() else None
        self.precision = self.info.precision if self.info else "unknown"
        self.model = self.og.Model(str(self.folder))

    def log_likelihoods(self, prompt: list[int], completions: list[list[int]]) -> list[float]:
        """The log-likelihood of each completion after ``prompt``: the prompt is encoded once, each completion appended
        to it and rewound (``maaza.checks.keys`` on this engine)."""
        longest = len(prompt) + max(map(len, completions))
        params = self.og.GeneratorParams(self.model)
        params.set_search_options(do_sample=False, max_length=min(self.context, longest), batch_size=1)
        generator = self.og.Generator(self.model, params)
        generator.append_tokens(np.array([prompt], dtype=np.int32))
        first = generator.get_output("logits")[0, -1:]  # the prompt's last position predicts each first token
        scores = []
        for completion in completions:  # an answer and its EOS: two tokens at least
            generator.append_tokens(np.array([completion[:-1]], dtype=np.int32))
            logits = np.concatenate([first, generator.get_output("logits")[0]])
            scores.append(float(_log_probs(logits, completion).sum()))
            generator.rewind_to(len(prompt))
        return scores

    def num_parameters(self) -> int | None:
        return self.info.parameters if self.info else None

    def can_batch(self, prompts: list[list[int]]) -> bool:
        """Whether ``prompts`` decode together: none ends with the pad token (it would be read as padding)."""
        return all(prompt[-1] != self.pad_token_id for prompt in prompts)

    def generator(self, prompts: list[list[int]], max_length: int, schema: dict[str, Any] | None = None) -> Any:
        """An ``og.Generator`` fed ``prompts`` (right-padded to one length), greedy up to ``max_length`` tokens a row;
        guided by ``schema`` (one prompt only: the guidance is the generator's, not a row's)."""
        if schema is not None and len(prompts) > 1:
            raise ValueError("guided decoding takes one prompt at a time")
        if len(prompts) > 1 and not self.can_batch(prompts):
            raise ValueError(f"a prompt ends with the pad token {self.pad_token_id}: decode it alone")
        params = self.og.GeneratorParams(self.model)
        params.set_search_options(do_sample=False, max_length=max_length, batch_size=len(prompts))
        if schema is not None:
            params.set_guidance("json_schema", json.dumps({**strict(schema), "x-guidance": COMPACT}))
        try:
            generator = self.og.Generator(self.model, params)
        except RuntimeError as err:
            if schema is None:
                raise
            raise ValueError(f"cannot constrain decoding to this schema: {err}") from None
        width = max(map(len, prompts))
        generator.append_tokens(
            np.array([prompt + [self.pad_token_id] * (width - len(prompt)) for prompt in prompts], dtype=np.int32)
        )
        return generator
