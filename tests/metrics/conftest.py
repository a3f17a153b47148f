"""The edgejson metric, loaded once and offline, for the tests in this folder."""

import os

for _name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_name, "1")

from pathlib import Path  # noqa: E402

import evaluate  # noqa: E402
import pytest  # noqa: E402

METRIC_DIR = Path(__file__).resolve().parents[2] / "metrics" / "edgejson"


@pytest.fixture(scope="session")
def metric_dir() -> Path:
    return METRIC_DIR


@pytest.fixture(scope="session")
def metric() -> evaluate.EvaluationModule:
    return evaluate.load(str(METRIC_DIR))
