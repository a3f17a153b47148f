"""Tiny randomly initialised Llamas with small local ChatML tokenizers: the stand-in bases of the test suite.

Usage: ``save_tiny_model(folder, corpus=texts)``: a BPE tokenizer trained on ``texts``, and a 2-layer Llama.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<|im_start|>", "<|im_end|>", "<|pad|>"]


def chatml_tokenizer(corpus: list[str], vocab_size: int = 400) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on ``corpus``: EOS ``<|im_end|>``, pad ``<|pad|>``, a ChatML template."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    tokenizer.train_from_iterator(
        corpus, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, initial_alphabet=alphabet)
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token="<|im_end|>", pad_token="<|pad|>", chat_template=CHATML
    )


def random_llama(tokenizer: PreTrainedTokenizerFast, hidden: int = 32, seed: int = 0, **config) -> LlamaForCausalLM:
    """A 2-layer Llama (``config`` overrides any LlamaConfig field) with seeded random weights."""
    fields = {
        "vocab_size": len(tokenizer),
        "hidden_size": hidden,
        "intermediate_size": 2 * hidden,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 4096,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
        "bos_token_id": None,
        "tie_word_embeddings": True,
        **config,
    }
    torch.manual_seed(seed)
    model = LlamaForCausalLM(LlamaConfig(**fields))
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model


def save_tiny_model(folder: Path, corpus: list[str], vocab_size: int = 400, **config) -> Path:
    """Save ``random_llama(chatml_tokenizer(corpus, vocab_size), **config)`` and its tokenizer in ``folder``."""
    tokenizer = chatml_tokenizer(corpus, vocab_size)
    random_llama(tokenizer, **config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
