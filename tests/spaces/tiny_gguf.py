"""A tiny randomly initialised Llama as a GGUF folder of ``maaza export --precision gguf-q8``'s kind: the base file (2
layers of width 64, SmolLM2's tokenizer taken from the converted base's ``tokenizer.json``), a random LoRA file written
by the export's own writer, and ``export_info.json`` naming SmolLM2 as its base, so that Python's prompts are the real
tokenizer's.

Usage: ``folder = write_tiny_gguf_folder(tmp_path, resolve_base(DEFAULT_BASE))``
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import gguf
import numpy as np

from maaza.bases import DEFAULT_BASE
from maaza.export.info import GGUF_Q8, INFO, ExportInfo, files_mb, folder_mb, version_of
from maaza.export.lora_gguf import write_lora

HIDDEN, LAYERS, HEADS, KV_HEADS, FFN, RANK = 64, 2, 4, 2, 128, 8
MODULES = {  # gguf name: (rows, columns) of its weight
    "attn_q": (HIDDEN, HIDDEN),
    "attn_k": (HIDDEN // HEADS * KV_HEADS, HIDDEN),
    "attn_v": (HIDDEN // HEADS * KV_HEADS, HIDDEN),
    "attn_output": (HIDDEN, HIDDEN),
    "ffn_gate": (FFN, HIDDEN),
    "ffn_up": (FFN, HIDDEN),
    "ffn_down": (HIDDEN, FFN),
}


def _tokenizer(writer: gguf.GGUFWriter, tokenizer_dir: Path) -> int:
    """SmolLM2's byte-level BPE tokenizer as GGUF metadata; the vocabulary size."""
    spec = json.loads((tokenizer_dir / "tokenizer.json").read_text(encoding="utf-8"))
    config = json.loads((tokenizer_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    vocab = dict(spec["model"]["vocab"]) | {added["content"]: added["id"] for added in spec["added_tokens"]}
    tokens = [token for token, _ in sorted(vocab.items(), key=lambda item: item[1])]
    special = {added["content"] for added in spec["added_tokens"] if added["special"]}
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(tokens)
    writer.add_token_types([gguf.TokenType.CONTROL if t in special else gguf.TokenType.NORMAL for t in tokens])
    writer.add_token_merges(merges)
    for add, key in ((writer.add_bos_token_id, "bos_token"), (writer.add_eos_token_id, "eos_token")):
        add(vocab[config[key]])
    writer.add_add_bos_token(False)
    writer.add_chat_template((tokenizer_dir / "chat_template.jinja").read_text(encoding="utf-8"))
    return len(tokens)


def write_tiny_gguf_folder(out: Path, tokenizer_dir: Path, seed: int = 0) -> Path:
    """``out`` holding the tiny base file, a random GGUF LoRA file for it and its ``export_info.json``."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    base = out / f"{DEFAULT_BASE}.gguf"
    writer = gguf.GGUFWriter(base, "llama")
    writer.add_name("tiny random llama")
    vocab = _tokenizer(writer, tokenizer_dir)
    writer.add_context_length(4096)
    writer.add_embedding_length(HIDDEN)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FFN)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_freq_base(10000.0)
    writer.add_rope_dimension_count(HIDDEN // HEADS)

    def random(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.2).astype(np.float32)

    writer.add_tensor("token_embd.weight", random(vocab, HIDDEN))
    writer.add_tensor("output_norm.weight", np.ones(HIDDEN, np.float32))
    for layer in range(LAYERS):
        for norm in ("attn_norm", "ffn_norm"):
            writer.add_tensor(f"blk.{layer}.{norm}.weight", np.ones(HIDDEN, np.float32))
        for module, shape in MODULES.items():
            writer.add_tensor(f"blk.{layer}.{module}.weight", random(*shape))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    factors = {
        f"blk.{layer}.{module}": (random(RANK, columns), random(rows, RANK))
        for layer in range(LAYERS)
        for module, (rows, columns) in MODULES.items()
    }
    lora = write_lora(out / "tiny.lora-q8.gguf", "llama", factors, "tiny", GGUF_Q8)
    info = ExportInfo(
        base=DEFAULT_BASE,
        adapter="tiny random LoRA",
        adapter_sha256=None,
        precision=GGUF_Q8,
        parameters=vocab * HIDDEN + LAYERS * sum(rows * columns for rows, columns in MODULES.values()),
        size_mb=folder_mb(out),
        model_mb=files_mb([base, lora]),
        builder=version_of("gguf"),
    )
    (out / INFO).write_text(json.dumps(asdict(info), indent=1) + "\n", encoding="utf-8")
    return out
