"""How likely a model finds each of several answers after one prompt: the scorer the key check asks
(``maaza.checks.keys``), on the torch engine or ONNX Runtime GenAI.

Usage: ``scores = answer_scorer(model, tokenizer, prompt_ids)([answer, answer_without_a_key])``
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from edgejson import format_answer
from maaza.checks.keys import Scorer
from maaza.inference.onnx_engine import OnnxModel

BATCH = 16  # answers scored in one forward pass


def answer_scorer(model: PreTrainedModel | OnnxModel, tokenizer: PreTrainedTokenizerBase, prompt: list[int]) -> Scorer:
    """A scorer of answers after ``prompt``: :func:`log_likelihoods` with the model and prompt bound."""
    return lambda answers: log_likelihoods(model, tokenizer, prompt, answers)


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
