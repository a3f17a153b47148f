"""Test-suite-wide setup: the Hugging Face libraries offline.

A conftest in a folder without ``__init__.py``: pytest (prepend import mode) puts this folder on ``sys.path``, which is
how the tests import ``tiny_models``.
"""

import os

for _name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_name, "1")
