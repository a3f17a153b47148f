"""Inference on a tiny random model: batching with left padding, stopping, budgets, constrained decoding, prompts."""

import jsonschema
import pytest
from maaza_tiny import CLOSED_SCHEMA, TEXTS, save_tiny_model
from trl import apply_chat_template

from edgejson import build_messages, format_answer
from maaza import Decoding, Extractor
from maaza.bases import PLAIN_CHAT_TEMPLATE, load_base
from maaza.inference.generation import CLOSE_TOKENS


@pytest.fixture(scope="module")
def extractor(tiny_model):
    return Extractor.load(str(tiny_model))


@pytest.fixture(scope="module")
def constrained(tiny_model):
    return Extractor.load(str(tiny_model), decoding=Decoding(constrained=True))


def _requests():
    return [(CLOSED_SCHEMA, text) for text in TEXTS]


def test_batches_with_left_padding_give_the_same_outputs_as_one_at_a_time(extractor):
    assert extractor.tokenizer.padding_side == "left"
    batched = extractor.generate(_requests(), max_new_tokens=24, batch_size=3)
    single = [extractor.generate([request], max_new_tokens=24)[0] for request in _requests()]
    assert len({len(extractor.prompt_ids(*request)) for request in _requests()}) == 3  # padding was needed
    assert [g.raw for g in batched] == [g.raw for g in single]
    assert [g.new_tokens for g in batched] == [g.new_tokens for g in single]


def test_each_row_keeps_its_own_budget_in_a_batch(extractor):
    generations = extractor.generate(_requests(), max_new_tokens=[3, 17, 9], batch_size=3)
    for generation, budget in zip(generations, [3, 17, 9], strict=True):
        assert generation.new_tokens <= budget
        assert generation.stop in ("budget", "eos")
        assert (generation.new_tokens == budget) == (generation.stop == "budget")


def test_generation_stops_at_its_time_limit(extractor):
    generations = extractor.generate(_requests(), max_new_tokens=200, batch_size=2, max_seconds=0)
    assert [g.stop for g in generations] == ["time"] * len(TEXTS)
    assert all(g.new_tokens == 1 for g in generations)  # each row stops after its first token


def test_constrained_outputs_follow_the_schema_and_stop_when_the_object_closes(constrained):
    generations = constrained.generate(_requests(), max_new_tokens=200, batch_size=3)
    for generation in generations:
        assert generation.stop == "json"
        assert generation.new_tokens < 200
        assert generation.raw == format_answer(generation.output)  # compact, nothing after the object
        jsonschema.validate(generation.output, CLOSED_SCHEMA)
    single = [constrained.generate([request], max_new_tokens=200)[0] for request in _requests()]
    assert [g.raw for g in generations] == [g.raw for g in single]
    assert constrained.constraint.mask_s > 0


def test_the_budget_grows_with_the_schema_and_the_text(extractor):
    small = {"type": "object", "properties": {"a": {"type": "string"}}}
    big = {"type": "object", "properties": {f"field_{i}": {"type": "string"} for i in range(40)}}
    assert 0 < extractor.budget(small, "short") < extractor.budget(big, "short")
    assert extractor.budget(small, "short") < extractor.budget(small, "a much longer text " * 20)


def test_prompt_is_the_one_trl_renders_for_training(extractor):
    schema, text = CLOSED_SCHEMA, TEXTS[0]
    example = {
        "prompt": build_messages(schema, text),
        "completion": [{"role": "assistant", "content": '{"status":"open"}'}],
    }
    rendered = apply_chat_template(example, extractor.tokenizer)
    assert extractor.tokenizer.decode(extractor.prompt_ids(schema, text)) == rendered["prompt"]


def test_a_base_without_chat_template_gets_the_plain_rendering(tmp_path):
    model, tokenizer = load_base(save_tiny_model(tmp_path / "plain", chat_template=None))
    assert tokenizer.chat_template == PLAIN_CHAT_TEMPLATE
    messages = build_messages(CLOSED_SCHEMA, TEXTS[0])
    example = {"prompt": messages, "completion": [{"role": "assistant", "content": "{}"}]}
    rendered = apply_chat_template(example, tokenizer)
    prompt = Extractor(model, tokenizer).prompt_ids(CLOSED_SCHEMA, TEXTS[0])
    assert tokenizer.decode(prompt) == rendered["prompt"]
    assert rendered["prompt"].endswith("### Output\n") and TEXTS[0] in rendered["prompt"]
    assert rendered["completion"].startswith("{}")


def test_extract_takes_a_schema_file(constrained, closed_schema_file):
    output = constrained.extract(str(closed_schema_file), TEXTS[0])
    jsonschema.validate(output, CLOSED_SCHEMA)


def test_empty_text_is_refused(extractor):
    with pytest.raises(ValueError, match="empty"):
        extractor.generate([(CLOSED_SCHEMA, "  \n ")])


def test_text_longer_than_the_context_is_refused(tmp_path):
    short = Extractor.load(str(save_tiny_model(tmp_path / "short", context=600)))
    with pytest.raises(ValueError, match=r"context is 600 tokens: shorten the text by at least \d+ tokens"):
        short.generate([(CLOSED_SCHEMA, "word " * 200)])
    length = len(short.prompt_ids(CLOSED_SCHEMA, TEXTS[0]))
    with pytest.warns(UserWarning, match="may be cut short"):
        (generation,) = short.generate([(CLOSED_SCHEMA, TEXTS[0])], max_new_tokens=1000)
    assert generation.new_tokens <= 600 - length


def test_results_come_back_in_request_order_whatever_the_batches(extractor):
    forward = extractor.generate(_requests(), max_new_tokens=8, batch_size=2)
    backward = extractor.generate(_requests()[::-1], max_new_tokens=8, batch_size=2)
    assert [g.raw for g in forward] == [g.raw for g in backward[::-1]]
    assert [g.prompt_tokens for g in forward] == [len(extractor.prompt_ids(*r)) for r in _requests()]


LOOP_SCHEMA = {"type": "object", "properties": {"codes": {"type": "array", "items": {"type": "string"}}}}


@pytest.fixture(scope="module")
def looping_model(tmp_path_factory):
    """A tiny model taught to answer with an array that never ends."""
    from tiny_models import save_taught_model

    loop = '{"codes":[' + '"ab1",' * 60
    return save_taught_model(tmp_path_factory.mktemp("looping"), build_messages(LOOP_SCHEMA, "x"), loop)


def test_a_looping_answer_stops_at_the_loop_not_at_the_budget(looping_model):
    (generation,) = Extractor.load(str(looping_model)).generate([(LOOP_SCHEMA, "x")], max_new_tokens=400)
    assert generation.stop == "repetition" and generation.output is None
    assert generation.raw.startswith('{"codes":["ab1","ab1","ab1"') and generation.new_tokens < 60


@pytest.mark.parametrize("budget", [400, 7])  # a loop, then an answer that reaches its budget
def test_a_constrained_answer_that_loops_or_runs_out_is_closed_valid(looping_model, budget):
    (generation,) = Extractor.load(str(looping_model), decoding=Decoding(constrained=True)).generate(
        [(LOOP_SCHEMA, "x")], max_new_tokens=budget
    )
    assert generation.stop == "closed" and generation.failure is None
    jsonschema.validate(generation.output, LOOP_SCHEMA)
    assert generation.raw == format_answer(generation.output)
    assert generation.raw.startswith('{"codes":["ab1"') and generation.new_tokens < min(60, budget + CLOSE_TOKENS)
    assert (len(generation.output["codes"]) >= 3) == (budget == 400)


NOTE_SCHEMA = {"type": "object", "properties": {"note": {"type": "string"}}, "required": ["note"]}


@pytest.fixture(scope="module")
def rambling_model(tmp_path_factory):
    """A tiny model taught to write one string that never ends."""
    from tiny_models import save_taught_model

    ramble = '{"note":"' + "lorem ipsum " * 40
    return save_taught_model(tmp_path_factory.mktemp("rambling"), build_messages(NOTE_SCHEMA, "x"), ramble)


def test_a_constrained_answer_cut_inside_a_string_ends_the_string_first(rambling_model):
    (generation,) = Extractor.load(str(rambling_model), decoding=Decoding(constrained=True)).generate(
        [(NOTE_SCHEMA, "x")], max_new_tokens=6
    )
    assert generation.stop == "closed" and generation.failure is None
    assert generation.output["note"].startswith("lorem ipsum") and not set(generation.output["note"]) & set("]}")
    assert generation.new_tokens <= 8


EMAIL_SCHEMA = {
    "type": "object",
    "properties": {"email": {"type": "string", "format": "email"}},
    "required": ["email"],
}


@pytest.fixture(scope="module")
def email_rambling_model(tmp_path_factory):
    """A tiny model taught to write an email that never gets its "@"."""
    from tiny_models import save_taught_model

    ramble = '{"email":"' + "mail_email_" * 40
    messages = build_messages(EMAIL_SCHEMA, "write to ana@x.io")
    return save_taught_model(tmp_path_factory.mktemp("email_rambling"), messages, ramble)


def test_a_constrained_answer_cut_inside_a_formatted_string_completes_the_format(email_rambling_model):
    (generation,) = Extractor.load(str(email_rambling_model), decoding=Decoding(constrained=True)).generate(
        [(EMAIL_SCHEMA, "write to ana@x.io")], max_new_tokens=6
    )
    assert generation.stop == "closed" and generation.failure is None
    assert generation.output["email"].startswith("mail_email") and "@" in generation.output["email"]
    jsonschema.validate(generation.output, EMAIL_SCHEMA, format_checker=jsonschema.FormatChecker())
    assert generation.new_tokens <= 16
