"""Test-suite-wide setup: offline Hugging Face libraries, and this folder importable (``tiny_models``)."""

import os

for _name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_name, "1")
