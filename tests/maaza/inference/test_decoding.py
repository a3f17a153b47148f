"""The ``Decoding`` record: checked once, when made, and carried whole by the ``Extractor`` that loads with it."""

import dataclasses

import jsonschema
import pytest
from maaza_tiny import CLOSED_SCHEMA, TEXTS

from maaza import Decoding, Extractor


def test_the_default_is_greedy_on_the_torch_engine(tiny_model):
    extractor = Extractor.load(str(tiny_model))
    assert extractor.decoding == Decoding() == Decoding(False, False, False, False, "torch", None)
    assert (extractor.engine, extractor.batch_size()) == ("torch", 8)
    assert Decoding().greedy == {"do_sample": False, "num_beams": 1, "use_cache": True}


def test_the_extractor_decodes_as_its_record_says(tiny_model):
    decoding = Decoding(constrained=True, spans=True, key_check=True, value_check=True, batch_size=2)
    extractor = Extractor.load(str(tiny_model), decoding=decoding)
    assert extractor.decoding is decoding and extractor.batch_size() == 2 and extractor.batch_size(3) == 3
    for generation in extractor.generate([(CLOSED_SCHEMA, text) for text in TEXTS]):
        jsonschema.validate(generation.output, CLOSED_SCHEMA)  # constrained
    with pytest.raises(dataclasses.FrozenInstanceError):
        decoding.spans = False


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"spans": True}, "the span rule is part of constrained decoding on the torch engine: set constrained=True"),
        (
            {"constrained": True, "spans": True, "engine": "onnx"},
            'the span rule runs on the torch engine: set engine="torch"',
        ),
        ({"engine": "tflite"}, "unknown engine 'tflite': choose from torch, onnx, llamacpp, browser"),
        (
            {"constrained": True, "key_check": True, "engine": "browser"},
            'the browser engine runs the page as it is, with no value or key check: set engine="torch"',
        ),
        (
            {"value_check": True, "engine": "browser"},
            "the browser engine runs the page as it is, with no value or key",
        ),
        ({"batch_size": 0}, "batch_size must be at least 1, got 0"),
    ],
)
def test_options_that_do_not_go_together_are_refused_saying_why(options, message):
    with pytest.raises(ValueError) as refused:
        Decoding(**options)
    assert str(refused.value).startswith(message)


def test_a_decoding_for_another_engine_is_refused(tiny_model):
    extractor = Extractor.load(str(tiny_model))
    with pytest.raises(ValueError, match="model runs on the torch engine, not the onnx one"):
        extractor.decoding = Decoding(engine="onnx")
    extractor.decoding = Decoding(constrained=True)  # on its own engine, another decoding may be set
    assert extractor.decoding.constrained
