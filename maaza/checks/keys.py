"""The optional-key check: after decoding, each optional key of an answer is dropped when the model finds the answer
more likely without it.

A small model fills optional keys that the text lacks (a sex, a company, a whole list of prescriptions): decoding
step by step, opening the key is the likeliest next token, yet the answer as a whole, scored token by token up to its
end, is likelier without it. The check scores the answer and, for each optional key it holds (at any depth, in
objects inside arrays too), the answer without that key; keys whose removal raises the answer's log-likelihood go.
An object or array whose key the text names (``Prescriptions:`` for ``prescriptions``) is kept: the model scores a
long list as unlikely as a whole even when the text lists it. Required keys, array items and values are never
touched, so an answer valid against its schema stays valid.

Usage: ``answer, dropped = check_keys(model, tokenizer, prompt_ids, schema, answer, text)``
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from edgejson import format_answer
from edgejson.schemas import key_words
from maaza.inference.onnx_engine import OnnxModel

Path = tuple[str | int, ...]  # keys and array indexes from the answer's root
BATCH = 16  # answers scored in one forward pass
RULE = (  # as results files record it
    "after decoding, each optional key of the answer is dropped when the model gives the whole answer (compact JSON + "
    "EOS) a higher log-likelihood without it, unless it holds an object or array and the text names its key (the "
    "first five letters of a word of the key, of three letters or more, start a word of the text) (maaza.checks.keys)"
)


def optional_keys(value: Any, schema: Any, at: Path = ()) -> Iterator[tuple[Path, Any, Any]]:
    """The path, value and subschema of every key in ``value`` that its schema declares but does not require,
    outermost first."""
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        declared, required = schema.get("properties") or {}, set(schema.get("required") or ())
        for key, item in value.items():
            if key in declared:
                if key not in required:
                    yield (*at, key), item, declared[key]
                yield from optional_keys(item, declared[key], (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from optional_keys(item, schema.get("items"), (*at, index))


def without(value: Any, path: Path) -> Any:
    """A copy of ``value`` with the key at ``path`` removed."""
    value = copy.deepcopy(value)
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return value


def dotted(path: Path) -> str:
    """``("parties", 0, "email")`` as ``parties[0].email``."""
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path).lstrip(".")


def log_likelihoods(
    model: PreTrainedModel | OnnxModel, tokenizer: PreTrainedTokenizerBase, prompt: list[int], answers: list[Any]
) -> list[float]:
    """The log-likelihood of each answer, written as ``edgejson.format_answer`` writes it and ended by EOS, after
    ``prompt``; on torch the prompt is encoded once per :data:`BATCH` answers, on onnx once."""
    completions = [
        tokenizer(format_answer(answer), add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        for answer in answers
    ]
    if isinstance(model, OnnxModel):
        return model.log_likelihoods(prompt, completions)
    return _torch_log_likelihoods(model, tokenizer, prompt, completions)


@torch.inference_mode()
def _torch_log_likelihoods(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompt: list[int], completions: list[list[int]]
) -> list[float]:
    scores: list[float] = []
    device = model.device
    for start in range(0, len(completions), BATCH):
        batch = completions[start : start + BATCH]
        out = model(torch.tensor([prompt], device=device), use_cache=True)
        first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
        cache = out.cache
        cache.batch_repeat_interleave(len(batch))
        width = max(map(len, batch))
        ids = torch.full((len(batch), width), tokenizer.pad_token_id, device=device)
        mask = torch.zeros((len(batch), len(prompt) + width), dtype=torch.long, device=device)
        for row, completion in enumerate(batch):
            ids[row, : len(completion)] = torch.tensor(completion)
            mask[row, : len(prompt) + len(completion)] = 1
        logits = model(ids, cache=cache, attention_mask=mask).logits
        for row, completion in enumerate(batch):  # one row's log-softmax at a time: no second copy of every logit
            steps = logits[row, : len(completion) - 1].float()
            chosen = steps.gather(-1, ids[row, 1 : len(completion), None])[:, 0] - torch.logsumexp(steps, dim=-1)
            scores.append(first[completion[0]].item() + chosen.sum().item())
    return scores


def names(text: str, key: str) -> bool:
    """Whether ``text`` names ``key``: the first five letters of one of its words of three letters or more
    (``snake_case`` or ``camelCase``) start a word of the text, in any case (``Prescribed`` names
    ``prescriptions``)."""
    words = (word for word in key_words(key) if len(word) >= 3)
    return any(re.search(rf"(?<!\w){re.escape(word[:5])}", text, re.IGNORECASE) for word in words)


def check_keys(
    model: PreTrainedModel | OnnxModel,
    tokenizer: PreTrainedTokenizerBase,
    prompt: list[int],
    schema: dict[str, Any],
    answer: dict[str, Any],
    text: str,
) -> tuple[dict[str, Any], list[str]]:
    """``answer`` without the optional keys whose removal makes it more likely after ``prompt``, and those keys
    (dotted, as ``parties[0].email``); an object or array whose key ``text`` :func:`names` stays. Each key is judged
    against the whole answer; a key inside a dropped one goes with it."""
    paths = [
        path
        for path, value, _ in optional_keys(answer, schema)
        if not (isinstance(value, dict | list) and names(text, str(path[-1])))
    ]
    if not paths:
        return answer, []
    full, *alone = log_likelihoods(model, tokenizer, prompt, [answer] + [without(answer, path) for path in paths])
    drop = [path for path, score in zip(paths, alone, strict=True) if score > full]
    drop = [path for path in drop if not any(path[: len(outer)] == outer for outer in drop if outer != path)]
    checked = answer
    for path in drop:  # removing a key moves no other: every path still leads to its key
        checked = without(checked, path)
    return checked, [dotted(path) for path in drop]
