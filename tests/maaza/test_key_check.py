"""The optional-key check on a tiny model taught one answer: the optional keys it finds unlikely go, nothing else, on
either engine."""

import pytest
from maaza_tiny import export_taught_model
from tiny_models import save_taught_model

from edgejson import build_messages
from maaza import Extractor
from maaza.key_check import check_keys, log_likelihoods

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
    return Extractor.load(str(folder), key_check=True)


def test_optional_keys_the_model_finds_unlikely_are_dropped_at_any_depth(taught):
    prompt = taught.prompt_ids(TEAM, TEXT)
    answer, dropped = check_keys(taught.model, taught.tokenizer, prompt, TEAM, INVENTED)
    assert answer == TAUGHT and dropped == ["company", "team[0].email"]
    assert INVENTED["company"] == "Acme"  # the answer given is left as it was


def test_required_keys_are_never_dropped(taught):
    required = {**TEAM, "required": ["name", "company", "team"]}
    answer, dropped = check_keys(taught.model, taught.tokenizer, taught.prompt_ids(required, TEXT), required, INVENTED)
    assert answer["company"] == "Acme" and dropped == ["team[0].email"]


def test_the_answer_the_model_believes_loses_nothing(taught):
    (generation,) = taught.generate([(TEAM, TEXT)])
    assert generation.output == TAUGHT and generation.dropped == []
    assert generation.answer == generation.raw


def test_the_onnx_engine_drops_the_same_keys_with_the_same_scores(taught, tmp_path):
    """The taught model exported to fp32 ONNX: its key check scores each answer as torch does, and drops the same
    keys."""
    pytest.importorskip("onnxruntime_genai")
    base, folder = export_taught_model(tmp_path, build_messages(TEAM, TEXT), ANSWER)
    torch_engine = Extractor.load(str(base), key_check=True)
    onnx_engine = Extractor.load(folder, engine="onnx", key_check=True)
    assert onnx_engine.key_check  # its answers go through the check
    prompt = onnx_engine.prompt_ids(TEAM, TEXT)
    answers = [INVENTED, TAUGHT, {"name": "Ana", "team": []}]
    expected = log_likelihoods(torch_engine.model, torch_engine.tokenizer, prompt, answers)
    got = log_likelihoods(onnx_engine.model, onnx_engine.tokenizer, prompt, answers)
    assert got == pytest.approx(expected, abs=1e-3)
    answer, dropped = check_keys(onnx_engine.model, onnx_engine.tokenizer, prompt, TEAM, INVENTED)
    assert answer == TAUGHT and dropped == ["company", "team[0].email"]
    (generation,) = onnx_engine.generate([(TEAM, TEXT)])
    assert generation.output == TAUGHT and generation.dropped == []
