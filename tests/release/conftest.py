"""Fixtures for the release tests: a valid release folder, a fake Hub, and a token (or none)."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import constants as hub_constants
from release_helpers import FakeHub, make_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A release folder whose three cards are valid; tests break one thing at a time."""
    return make_project(tmp_path)


@pytest.fixture
def hub() -> FakeHub:
    return FakeHub()


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    """A token and an online Hub client: the situation of a real ``make push``."""
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", False)
    return "hf_test_token"


@pytest.fixture(autouse=True)
def no_stored_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the machine's own token or reaches the Hub."""
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.delenv("HF_OIDC_RESOURCE", raising=False)
    monkeypatch.setattr(hub_constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
