"""Attach a LoRA adapter to a base, refusing one made for another base with an error that says so.

Usage: ``model = attach_adapter(model, "smollm2-135m-instruct", "maaza_models/maaza-mlm-135m-json")``
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

from peft import PeftModel
from safetensors import SafetensorError, safe_open
from transformers import PreTrainedModel

from maaza.bases import base_names_of


class AdapterError(ValueError):
    """An adapter that is missing, malformed or made for another base."""


def read_adapter_config(adapter: str | os.PathLike) -> dict:
    """The adapter's ``adapter_config.json``; raises ``AdapterError`` when there is none or it is not a JSON object."""
    path = Path(adapter) / "adapter_config.json"
    if not path.is_file():
        raise AdapterError(f"no LoRA adapter at {adapter}: {path} does not exist")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise AdapterError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(config, dict):
        raise AdapterError(f"{path}: must hold a JSON object, got {type(config).__name__}")
    return config


def check_weights(adapter: str | os.PathLike) -> Path:
    """The adapter's ``adapter_model.safetensors``; ``AdapterError`` when it is missing or unreadable (truncated)."""
    path = Path(adapter) / "adapter_model.safetensors"
    if not path.is_file():
        raise AdapterError(f"the LoRA adapter at {adapter} has no weights: {path} does not exist")
    try:
        with safe_open(path, framework="pt") as weights:
            weights.keys()
    except (SafetensorError, OSError) as err:
        raise AdapterError(f"{path} cannot be read ({err}): it may be truncated; copy or download it again") from None
    return path


def adapter_hash(adapter: str | os.PathLike) -> str:
    """SHA-256 over the adapter's config and weight files, in name order: its identity in result files."""
    digest = hashlib.sha256()
    for path in sorted(Path(adapter).glob("adapter_*")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_adapter(model: PreTrainedModel, base: str, adapter: str | os.PathLike) -> PeftModel:
    """``model`` with the LoRA adapter attached, unmerged, after checking the adapter was made for ``base``."""
    made_for = read_adapter_config(adapter).get("base_model_name_or_path")
    check_weights(adapter)
    if made_for and not base_names_of(made_for) & base_names_of(base):
        raise AdapterError(f"the adapter at {adapter} was made for base {made_for!r}, not for {base!r}")
    try:
        with warnings.catch_warnings():
            # PEFT asks the model for transformers' deprecated alias is_gradient_checkpointing, which warns on every
            # load; the answer it gets is the same as is_activation_checkpointing's.
            warnings.filterwarnings("ignore", "`is_gradient_checkpointing` is deprecated", FutureWarning)
            return PeftModel.from_pretrained(model, str(adapter))
    except (RuntimeError, ValueError, KeyError) as err:
        raise AdapterError(f"the adapter at {adapter} does not fit base {base!r}: {str(err)[:1000]}") from None


def attach_adapter(model: PreTrainedModel, base: str, adapter: str | os.PathLike) -> PreTrainedModel:
    """``model`` with the LoRA adapter merged in, after checking the adapter was made for ``base``."""
    return load_adapter(model, base, adapter).merge_and_unload()
