"""Tiny randomly initialised Llamas with small local ChatML tokenizers: the stand-in bases of the test suite.

Usage: ``save_tiny_model(folder, corpus=texts)``: a BPE tokenizer trained on ``texts``, and a 2-layer Llama.
"""

from __future__ import annotations

from pathlib import Path

import torch
import yaml
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


def save_taught_model(folder: Path, messages: list[dict[str, str]], completion: str, **config) -> Path:
    """A 1-layer Llama trained (seconds) until its greedy answer to ``messages`` is ``completion``; saved in folder."""
    fast = chatml_tokenizer([m["content"] for m in messages] + [completion], vocab_size=1000)
    fields = {"num_hidden_layers": 1, "num_key_value_heads": 4, "max_position_embeddings": 2048, **config}
    model = random_llama(fast, tie_word_embeddings=False, **fields)
    prompt = fast.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    prompt_ids = fast(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = fast(completion + "<|im_end|>", add_special_tokens=False)["input_ids"]
    ids = torch.tensor([prompt_ids + answer_ids])
    labels = ids.clone()
    labels[0, : len(prompt_ids)] = -100
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(300):  # about 40 steps, seconds: until the answer is the clear greedy choice
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if loss.item() < 0.05:
            break
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def tiny_recipe(path: Path, tiny_base: Path, tiny_dataset: Path, **overrides) -> Path:
    """Write the training tests' tiny recipe to ``path``, with ``overrides`` (None: the field left out)."""
    fields = {
        "model_name_or_path": str(tiny_base),
        "use_peft": True,
        "lora_r": 4,
        "lora_alpha": 8,
        "lora_dropout": 0.0,
        "lora_target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"],
        "dataset_name": str(tiny_dataset),
        "adapter_dir": str(path.parent / "adapter"),
        "output_dir": str(path.parent / "run"),
        "max_length": 256,
        "learning_rate": 1e-3,
        "per_device_train_batch_size": 4,
        "per_device_eval_batch_size": 4,
        "max_steps": 4,
        "eval_strategy": "steps",
        "eval_steps": 2,
        "save_strategy": "steps",
        "save_steps": 2,
        "load_best_model_at_end": True,
        "metric_for_best_model": "eval_loss",
        "logging_steps": 1,
        "activation_checkpointing": False,
        "bf16": False,
        "report_to": "none",
        "seed": 0,
    }
    fields.update(overrides)
    path.write_text(yaml.safe_dump({key: value for key, value in fields.items() if value is not None}))
    return path
