"""The span rule of constrained decoding on tiny models taught one answer: free-form strings are copied from the text;
emails too; keys, enums and dates are not."""

import json

import pytest
from tiny_models import save_taught_model

from edgejson import build_messages
from maaza import Decoding, Extractor

VENDOR = {
    "type": "object",
    "properties": {  # the enum and the date first: after a string the rule changed, the taught model is lost
        "kind": {"type": "string", "enum": ["vendor", "client"]},
        "since": {"type": "string", "format": "date"},
        "name": {"type": "string"},
        "email": {"type": "string", "format": "email"},
        "aliases": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["kind", "since", "name", "email", "aliases"],
    "additionalProperties": False,
}
TEXT = 'Ana "the boss" Diaz (ana@acme.io) runs Acme; call her Ana.'
ANSWERS = {  # what each taught model answers: a name the text holds (quotes escaped) and one it does not
    "copied": {
        "kind": "vendor",
        "since": "2020-01-31",
        "name": 'Ana "the boss" Diaz',
        "email": "ana@acme.io",
        "aliases": ["Ana"],
    },
    "invented": {
        "kind": "vendor",
        "since": "2020-01-31",
        "name": "Anabel Ruiz",
        "email": "ana@ruiz.org",
        "aliases": ["Acme Corp"],
    },
}


@pytest.fixture(scope="module", params=list(ANSWERS))
def taught(request, tmp_path_factory) -> tuple[str, Extractor]:
    folder = tmp_path_factory.mktemp(request.param)
    completion = json.dumps(ANSWERS[request.param], separators=(",", ":"))
    save_taught_model(folder, build_messages(VENDOR, TEXT), completion)
    return request.param, Extractor.load(str(folder), decoding=Decoding(constrained=True))


def _answer(extractor: Extractor, spans: bool) -> dict:
    extractor.decoding = Decoding(constrained=True, spans=spans)
    (generation,) = extractor.generate([(VENDOR, TEXT)])
    return generation.output


def test_free_form_strings_are_spans_of_the_text_and_nothing_else_changes(taught):
    name, extractor = taught
    assert _answer(extractor, spans=False) == ANSWERS[name]  # the model's own answer
    assert (ANSWERS[name]["name"] in TEXT) == (name == "copied")
    answer = _answer(extractor, spans=True)
    assert all(value in TEXT for value in (answer["name"], answer["email"], *answer["aliases"]))
    assert (answer["kind"], answer["since"]) == ("vendor", "2020-01-31")  # an enum and a date are not copied
    if name == "copied":
        assert answer == ANSWERS["copied"]  # escaped quotes compared as the text holds them


def test_the_span_rule_is_part_of_constrained_decoding_on_torch(taught, tmp_path):
    _, extractor = taught
    with pytest.raises(ValueError, match="part of constrained decoding"):
        extractor.decoding = Decoding(spans=True)
    with pytest.raises(ValueError, match="span rule runs on the torch engine"):
        Extractor.load(tmp_path, decoding=Decoding(constrained=True, spans=True, engine="onnx"))
