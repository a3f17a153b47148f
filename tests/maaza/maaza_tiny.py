"""Stand-ins for the maaza tests: a tiny random Llama with a small local tokenizer, small schemas and data files."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from peft import LoraConfig, get_peft_model
from tiny_models import CHATML, random_llama, save_taught_model
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaForCausalLM, PreTrainedTokenizerFast

# Every value is an enum or a boolean: a grammar-constrained answer is short and always ends.
CLOSED_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["open", "closed"]},
        "urgent": {"type": "boolean"},
        "level": {"type": "integer", "enum": [1, 2, 3]},
    },
    "required": ["status", "urgent", "level"],
    "additionalProperties": False,
}
# Optional keys only but one: the tiny model's constrained answer to TEXTS[0] holds one that the key check drops.
OPTIONAL_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["open", "closed"]},
        **{key: {"type": "string", "enum": ["yes", "no"]} for key in ("billing", "shipping", "returns", "refund")},
    },
    "required": ["status"],
    "additionalProperties": False,
}
SENSOR_SCHEMA = {"type": "object", "properties": {"temp": {"type": "number"}}, "required": ["temp"]}
TAUGHT = [  # (schema, text, the raw answer a taught model gives): answers only the one answer reader reads right
    (SENSOR_SCHEMA, "Sensor 4 reads no temperature.", '{"temp": NaN}'),
    (SENSOR_SCHEMA, "Sensor 7 reads 21.5 degrees.", 'Use {name} here: {"temp": 21.5}'),
]
TEXTS = [
    "Ticket is open, urgent, level 2.",
    "Closed. Not urgent at all; it was a level 1 issue raised by the billing team last week.",
    "Status open",
]


def save_tiny_model(folder: Path, hidden: int = 32, context: int = 4096, chat_template: str | None = CHATML) -> Path:
    """A 2-layer Llama with seeded random weights and a byte-level tokenizer (one token per byte), saved in folder."""
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    tokenizer = Tokenizer(models.BPE(vocab={c: i for i, c in enumerate(alphabet)}, merges=[]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|im_end|>", bos_token="<|im_start|>")
    fast.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    fast.chat_template = chat_template
    fast.save_pretrained(folder)
    model = random_llama(
        fast,
        hidden=hidden,
        max_position_embeddings=context,
        initializer_range=0.5,  # spread logits: greedy choices are not near-ties
        bos_token_id=fast.bos_token_id,
    )
    model.save_pretrained(folder)
    return folder


def save_tiny_adapter(base_folder: Path, out: Path, made_for: str | Path) -> Path:
    """A LoRA adapter with random (non-zero) weights on the model in base_folder, recording ``made_for`` as base."""
    model = LlamaForCausalLM.from_pretrained(base_folder)
    model.name_or_path = model.config.name_or_path = str(made_for)
    torch.manual_seed(1)
    get_peft_model(
        model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    ).save_pretrained(out)
    return out


def export_taught_model(root: Path, messages: list[dict[str, str]], completion: str) -> tuple[Path, Path]:
    """A tiny model taught ``completion`` for ``messages`` (``save_taught_model``, 2 heads of 16 values: ONNX Runtime's
    attention) and ``maaza export`` of it with an adapter that changes nothing: the base and its fp32 ONNX folder."""
    from maaza.cli import main

    base = save_taught_model(root / "taught", messages, completion, num_attention_heads=2, num_key_value_heads=2)
    model = LlamaForCausalLM.from_pretrained(base)
    model.name_or_path = str(base)
    get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj"])).save_pretrained(root / "zero")  # B = 0
    argv = ["export", "--model", base, "--adapter", root / "zero", "--out", root / "out", "--precision", "fp32"]
    assert main(list(map(str, argv))) == 0
    return base, root / "out" / "fp32"


def write_jsonl(path: Path, rows: list) -> Path:
    """Write ``rows`` as a JSONL file (its folder made) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def run_command(capsys, command, *argv) -> tuple[int, str, str]:
    """A command's ``main(ARGV)`` in this process: (exit status, stdout, stderr)."""
    try:
        code = command([*map(str, argv)])
    except SystemExit as exit_:
        code = exit_.code
    return code, *capsys.readouterr()


def run_eval(capsys, *argv) -> tuple[int, str, str]:
    """``edgejson-eval ARGV`` in this process: (exit status, stdout, stderr)."""
    from maaza.evaluation.harness import main

    return run_command(capsys, main, *argv)


def eval_optional_ticket(capsys, tmp_path: Path, model: Path, *flags: str) -> int:
    """``edgejson-eval --constrained FLAGS`` of ``model`` on the first ticket under OPTIONAL_SCHEMA, whose expected
    answer is its status alone, results into ``tmp_path``; the exit status."""
    row = {"text": TEXTS[0], "schema": json.dumps(OPTIONAL_SCHEMA), "expected_output": '{"status": "open"}'}
    data = write_jsonl(tmp_path / "optional.jsonl", [{"id": "o0", "schema_id": "ticket", **row}])
    return run_eval(capsys, "--model", model, "--data", data, "--constrained", *flags, "--results-dir", tmp_path)[0]
