"""The tiny recipe of the training tests (the tiny dataset, base and trained adapter: tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_models import tiny_recipe


@pytest.fixture
def recipe(tmp_path, tiny_base, tiny_dataset):
    """Write a tiny recipe (overridable fields) to tmp and return its path."""

    def write(**overrides) -> Path:
        return tiny_recipe(tmp_path / "recipe.yaml", tiny_base, tiny_dataset, **overrides)

    return write
