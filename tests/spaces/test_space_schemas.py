"""Hostile schemas through the Space's API: 5,000 levels of nesting are refused saying so, and a backtracking
``pattern`` costs a request a bounded time and holds up no other request (the Space offers a tiny model taught to
copy a motto)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from tiny_models import save_taught_model

from edgejson import build_messages, format_answer
from edgejson.answer import patterns_until, schema_validator, validation_errors

APP = Path(__file__).resolve().parents[2] / "spaces" / "edgejson" / "app.py"
TEXT = 'Her motto is "Ada Lovelace works at the Analytic Engine!"'
MOTTO = "Ada Lovelace works at the Analytic Engine!"
BACKTRACKING = {  # a pattern the motto does not match, and how long a backtracking engine takes to find that out
    "the issue's (55 s before)": r"^(\w+\s?)+$",
    "any engine's (hours)": r"^(\w|\w\w|\s|\s\w)+$",
}


def _schema(pattern: str) -> dict:
    return {"type": "object", "properties": {"motto": {"type": "string", "pattern": pattern}}, "required": ["motto"]}


@pytest.fixture(scope="module")
def motto_space(tmp_path_factory, launch):
    """The Space offering a tiny model taught to answer the motto of TEXT (any pattern: the template is the same)."""
    folder = tmp_path_factory.mktemp("motto-space")
    messages = build_messages(_schema(BACKTRACKING["the issue's (55 s before)"]), TEXT)
    model = save_taught_model(folder / "model", messages, format_answer({"motto": MOTTO}))
    args = ["--model", str(model)]
    with launch(APP, args, folder / "console.log", folder / "maaza-cache") as url:
        yield Client(url, verbose=False), str(model)


def test_a_schema_5000_levels_deep_is_refused_saying_so(motto_space):
    client, model = motto_space
    schema = '{"type": "object", "properties": {"a": {"enum": [' + "[" * 5000 + "]" * 5000 + "]}}}"
    with pytest.raises(AppError, match="the schema nests deeper than 64 levels of JSON") as raised:
        client.predict(schema, TEXT, model, False, api_name="/extract")
    assert "Traceback" not in str(raised.value)


@pytest.mark.parametrize("case", list(BACKTRACKING))
def test_a_backtracking_pattern_costs_a_bounded_time_and_holds_up_no_other_request(motto_space, case):
    client, model = motto_space
    pattern = BACKTRACKING[case]
    started = time.monotonic()
    hostile = client.submit(json.dumps(_schema(pattern)), TEXT, model, False, False, False, True, api_name="/extract")
    time.sleep(1)  # sent after it, as in the issue: it waited 58.5 s
    plain = client.submit(json.dumps(_schema("^[A-Z]")), TEXT, model, False, api_name="/extract")
    shown, _, details = hostile.result(timeout=60)
    assert json.loads(shown) == {"motto": MOTTO} and details["valid"] is False
    assert details["errors"][0].startswith(f"/motto: {MOTTO!r} ")
    if "any engine" in case:
        assert f"could not be matched against {pattern!r} within" in details["errors"][0]
    assert plain.result(timeout=60)[2]["valid"] is True
    assert time.monotonic() - started < 20


def test_the_time_limit_of_a_request_also_ends_its_pattern_matching():
    validator = schema_validator(_schema("^Ada"))
    assert validation_errors({"motto": MOTTO}, validator) == []
    with patterns_until(time.monotonic()):  # the Space's limit, used up
        errors = validation_errors({"motto": MOTTO}, validator)
    assert errors == [f"/motto: {MOTTO!r} could not be matched against '^Ada' within 0 s"]
