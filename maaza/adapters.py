"""Attach a LoRA adapter to a base, refusing one made for another base with an error that says so.

Usage: ``model = attach_adapter(model, "smollm2-135m-instruct", "maaza_models/maaza-mlm-135m-json")``
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from peft import PeftModel
from transformers import PreTrainedModel

from maaza.bases import base_names_of


class AdapterError(ValueError):
    """An adapter that is missing, malformed or made for another base."""


def read_adapter_config(adapter: str | os.PathLike) -> dict:
    """The adapter's ``adapter_config.json``; raises ``AdapterError`` when there is none."""
    path = Path(adapter) / "adapter_config.json"
    if not path.is_file():
        raise AdapterError(f"no LoRA adapter at {adapter}: {path} does not exist")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise AdapterError(f"{path}: not valid JSON ({err})") from None


def adapter_hash(adapter: str | os.PathLike) -> str:
    """SHA-256 over the adapter's config and weight files, in name order: its identity in result files."""
    digest = hashlib.sha256()
    for path in sorted(Path(adapter).glob("adapter_*")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def attach_adapter(model: PreTrainedModel, base: str, adapter: str | os.PathLike) -> PreTrainedModel:
    """``model`` with the LoRA adapter merged in, after checking the adapter was made for ``base``."""
    made_for = read_adapter_config(adapter).get("base_model_name_or_path")
    if made_for and not base_names_of(made_for) & base_names_of(base):
        raise AdapterError(f"the adapter at {adapter} was made for base {made_for!r}, not for {base!r}")
    try:
        return PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    except (RuntimeError, ValueError, KeyError) as err:
        raise AdapterError(f"the adapter at {adapter} does not fit base {base!r}: {str(err)[:1000]}") from None
