"""Maaza: tiny models that turn text into JSON, their base models (offline), inference and the EdgeJSON harness.

Importing ``maaza`` loads nothing heavy and changes no setting: each name below is imported on first use.

Usage: ``from maaza import Extractor; Extractor.load().extract("contact_info", "Reach Ana at ana@diaz.dev")``;
``Extractor.load(decoding=Decoding(constrained=True))`` for decoding constrained to the schema
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
    "AdapterError": "maaza.adapters",
    "BASES": "maaza.bases",
    "DEFAULT_BASE": "maaza.bases",
    "BaseModelError": "maaza.bases",
    "load_base": "maaza.bases",
    "Decoding": "maaza.inference.decoding",
    "Extractor": "maaza.inference.extract",
    "Generation": "maaza.inference.generation",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'maaza' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
