"""The Space launched as a user launches it (``python spaces/edgejson/app.py``), offering a tiny local model.

The tiny model is a 1-layer Llama with a byte-level tokenizer, trained in a few seconds to answer one contact_info
example exactly, so an extraction through the Space gives a real, checkable answer quickly.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client
from tiny_models import save_taught_model

from edgejson import build_messages, format_answer
from edgejson.schemas import load_schema

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "spaces" / "edgejson" / "app.py"
TEXT = "Contact card. Name: Ada Lovelace. Email: ada@example.com. Phone: +44 20 7946 0000."
ANSWER = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000"}


@pytest.fixture(scope="session")
def taught() -> dict:
    """The example the tiny model was taught: schema id, schema, text and the expected answer."""
    schema = load_schema("contact_info")
    answer = {key: value for key, value in ANSWER.items() if key in schema["properties"]}
    return {"schema_id": "contact_info", "schema": schema, "text": TEXT, "answer": answer}


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, taught) -> Path:
    """A local model folder (a 1-layer Llama) whose greedy answer to the taught example is its expected JSON."""
    messages = build_messages(taught["schema"], taught["text"])
    return save_taught_model(tmp_path_factory.mktemp("tiny-model"), messages, format_answer(taught["answer"]))


@contextlib.contextmanager
def running(app: Path, args: list[str], log_path: Path, maaza_cache: Path) -> Iterator[str]:
    """Run ``python app.py ARGS`` as ``make demo`` does, with no base weights cached; yield its local URL."""
    env = {
        **os.environ,
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "MAAZA_CACHE": str(maaza_cache),
    }
    env.pop("GRADIO_SERVER_PORT", None)  # Gradio picks a free port and prints it
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, str(app), *args], stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 180
            while not (found := re.search(r"Running on local URL:\s+(\S+)", log_path.read_text())):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the Space did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.5)
            yield found.group(1)
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture(scope="session")
def launch():
    """``launch(app, args, log_path, maaza_cache)``: a context manager running a Space, yielding its URL."""
    return running


@pytest.fixture(scope="session")
def leaderboard_query():
    """``leaderboard_query(url)``: a query of the leaderboard of the Space at ``url``, called with its filters
    (query, types, limit, show_all, split, decoding; the Space's defaults for the others), giving rows as dicts."""

    def connect(url: str):
        client = Client(url, verbose=False)

        def query(**filters) -> list[dict]:
            table, _plot = client.predict(**filters, api_name="/leaderboard")
            return [dict(zip(table["headers"], row, strict=True)) for row in table["data"]]

        return query

    return connect


@pytest.fixture(scope="session")
def space(tiny_model, tmp_path_factory):
    """The Space as ``make demo`` runs it from this clone, also offering the tiny model; no base weights cached."""
    folder = tmp_path_factory.mktemp("space")
    log = folder / "console.log"
    with running(APP, ["--model", str(tiny_model)], log, folder / "maaza-cache") as url:
        yield {"url": url, "log": log, "model": str(tiny_model)}
