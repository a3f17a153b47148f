"""Maaza: tiny models that turn text into JSON, their base models (offline), inference and the EdgeJSON harness.

Usage: ``from maaza import Extractor; Extractor.load().extract("contact_info", "Reach Ana at ana@diaz.dev")``
"""

import os

# OpenMP threads that spin while waiting make decoding up to 15x slower when other processes share the cores (measured
# on a busy 2-core machine); waiting passively costs little when they do not. Set before torch loads OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from maaza.adapters import AdapterError
from maaza.bases import BASES, DEFAULT_BASE, BaseModelError, load_base
from maaza.extract import Extractor, Generation

__all__ = ["BASES", "DEFAULT_BASE", "AdapterError", "BaseModelError", "Extractor", "Generation", "load_base"]
