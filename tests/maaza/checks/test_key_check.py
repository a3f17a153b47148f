"""The optional-key check on a tiny model taught one answer: the optional keys it finds unlikely go, nothing else, on
either engine."""

import pytest
from maaza_tiny import export_taught_model
from tiny_models import save_taught_model

from edgejson import build_messages
from maaza import Decoding, Extractor
from maaza.checks.keys import check_keys, names
from maaza.inference.scoring import answer_scorer, log_likelihoods

TEAM = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "company": {"type": "string"},
        "team": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"who": {"type": "string"}, "email": {"type": "string"}},
                "required": ["who"],
            },
        },
    },
    "required": ["name", "team"],
}
TEXT = "Ana leads the project; Bo helps her."
TAUGHT = {"name": "Ana", "team": [{"who": "Bo"}]}
INVENTED = {"name": "Ana", "company": "Acme", "team": [{"who": "Bo", "email": "bo@acme.io"}]}
ANSWER = '{"name":"Ana","team":[{"who":"Bo"}]}'  # TAUGHT as the model writes it


@pytest.fixture(scope="module")
def taught(tmp_path_factory) -> Extractor:
    """A tiny model taught to answer TAUGHT, and nothing else, for TEXT."""
    folder = tmp_path_factory.mktemp("team_model")
    save_taught_model(folder, build_messages(TEAM, TEXT), ANSWER)
    return Extractor.load(str(folder), decoding=Decoding(key_check=True))


def test_optional_keys_the_model_finds_unlikely_are_dropped_at_any_depth(taught):
    prompt = taught.prompt_ids(TEAM, TEXT)
    answer, dropped = check_keys(answer_scorer(taught.model, taught.tokenizer, prompt), TEAM, INVENTED, TEXT)
    assert answer == TAUGHT and dropped == ["company", "team[0].email"]
    assert INVENTED["company"] == "Acme"  # the answer given is left as it was


def test_required_keys_are_never_dropped(taught):
    required = {**TEAM, "required": ["name", "company", "team"]}
    prompt = taught.prompt_ids(required, TEXT)
    answer, dropped = check_keys(answer_scorer(taught.model, taught.tokenizer, prompt), required, INVENTED, TEXT)
    assert answer["company"] == "Acme" and dropped == ["team[0].email"]


def test_an_object_or_array_whose_key_the_text_names_is_kept(taught):
    tagged = {**TEAM, "properties": {**TEAM["properties"], "tags": {"type": "array", "items": {"type": "string"}}}}
    answer = {**TAUGHT, "tags": ["lead"]}
    score = answer_scorer(taught.model, taught.tokenizer, taught.prompt_ids(TEAM, TEXT))
    assert check_keys(score, tagged, answer, TEXT) == (TAUGHT, ["tags"])
    assert check_keys(score, tagged, answer, TEXT + " Tags: lead.") == (answer, [])


@pytest.mark.parametrize(
    ("text", "key", "named"),
    [
        ("Prescriptions:\n 1. Lisinopril", "prescriptions", True),
        ("She prescribed Lisinopril.", "prescriptions", True),
        ("Rate limit: 100 a minute", "rateLimit", True),
        ("A separate budget", "rate_limit", False),  # "rate" inside a word is not a word of the text
        ("No list here", "at", False),  # words under three letters name nothing
    ],
)
def test_names(text, key, named):
    assert names(text, key) is named


def test_the_answer_the_model_believes_loses_nothing(taught):
    (generation,) = taught.generate([(TEAM, TEXT)])
    assert generation.output == TAUGHT and generation.dropped == []
    assert generation.answer == generation.raw


def test_the_onnx_engine_drops_the_same_keys_with_the_same_scores(taught, tmp_path):
    """The taught model exported to fp32 ONNX: its key check scores each answer as torch does, and drops the same
    keys."""
    pytest.importorskip("onnxruntime_genai")
    base, folder = export_taught_model(tmp_path, build_messages(TEAM, TEXT), ANSWER)
    torch_engine = Extractor.load(str(base), decoding=Decoding(key_check=True))
    onnx_engine = Extractor.load(folder, decoding=Decoding(key_check=True, engine="onnx"))
    assert onnx_engine.decoding.key_check  # its answers go through the check
    prompt = onnx_engine.prompt_ids(TEAM, TEXT)
    answers = [INVENTED, TAUGHT, {"name": "Ana", "team": []}]
    expected = log_likelihoods(torch_engine.model, torch_engine.tokenizer, prompt, answers)
    got = log_likelihoods(onnx_engine.model, onnx_engine.tokenizer, prompt, answers)
    assert got == pytest.approx(expected, abs=1e-3)
    answer, dropped = check_keys(answer_scorer(onnx_engine.model, onnx_engine.tokenizer, prompt), TEAM, INVENTED, TEXT)
    assert answer == TAUGHT and dropped == ["company", "team[0].email"]
    (generation,) = onnx_engine.generate([(TEAM, TEXT)])
    assert generation.output == TAUGHT and generation.dropped == []
