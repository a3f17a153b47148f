"""Fixtures for the maaza tests, built from the stand-ins in ``maaza_tiny``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from maaza_tiny import CLOSED_SCHEMA, TAUGHT, save_tiny_model
from tiny_models import save_taught_model

from edgejson import build_messages


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("tiny_model"))


@pytest.fixture(scope="session")
def closed_schema_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("schemas") / "ticket.json"
    path.write_text(json.dumps(CLOSED_SCHEMA))
    return path


@pytest.fixture()
def closed_schema() -> dict:
    return json.loads(json.dumps(CLOSED_SCHEMA))


@pytest.fixture(scope="session")
def taught_models(tmp_path_factory) -> list[Path]:
    """For each (schema, text, raw answer) of ``TAUGHT``, a tiny model taught to give that answer."""
    return [
        save_taught_model(tmp_path_factory.mktemp("taught_model"), build_messages(schema, text), answer)
        for schema, text, answer in TAUGHT
    ]
