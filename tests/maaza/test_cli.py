"""``maaza extract``: JSON on stdout from --text, --file or stdin; bad input exits 2 with a clear message."""

import io
import json
import re
import warnings

import jsonschema
import pytest
from maaza_tiny import CLOSED_SCHEMA, OPTIONAL_SCHEMA, TAUGHT, TEXTS, run_command, save_tiny_adapter

from maaza.cli import main
from maaza.inference.extract import Extractor


def _run(capsys, *argv):
    return run_command(capsys, main, "extract", *argv)


def test_prints_the_extracted_object(capsys, tiny_model, closed_schema_file):
    code, out, err = _run(
        capsys, "--schema", closed_schema_file, "--text", TEXTS[0], "--model", tiny_model, "--constrained"
    )
    assert code == 0
    jsonschema.validate(json.loads(out), CLOSED_SCHEMA)
    assert str(tiny_model) in err  # diagnostics go to stderr


def test_reads_the_text_from_a_file_or_stdin(capsys, monkeypatch, tmp_path, tiny_model, closed_schema_file):
    common = ("--schema", closed_schema_file, "--model", tiny_model, "--constrained", "--compact")
    (tmp_path / "text.txt").write_text(TEXTS[1])
    from_file = _run(capsys, *common, "--file", tmp_path / "text.txt")
    monkeypatch.setattr("sys.stdin", io.StringIO(TEXTS[1]))
    from_stdin = _run(capsys, *common)
    from_argument = _run(capsys, *common, "--text", TEXTS[1])
    assert from_file[0] == 0 and from_file[1] == from_stdin[1] == from_argument[1]
    assert from_file[1].count("\n") == 1  # --compact: one line


def test_no_json_from_the_model_exits_1_and_shows_its_output(capsys, tiny_model, closed_schema_file):
    code, out, err = _run(
        capsys, "--schema", closed_schema_file, "--text", TEXTS[0], "--model", tiny_model, "--max-new-tokens", "4"
    )
    assert code == 1 and out == ""
    assert "the model gave no JSON object" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--schema", "contact_info", "--text", " ", "--model", "MODEL"), "the text is empty"),
        (("--schema", "contact_info", "--text", "Hi", "--model", "no-such-model"), "unknown model 'no-such-model'"),
        (("--schema", "no_such_schema", "--text", "Hi", "--model", "MODEL"), "unknown schema id 'no_such_schema'"),
        (("--schema", "BAD_SCHEMA", "--text", "Hi", "--model", "MODEL"), r"invalid schema at /properties/a/type"),
        (("--schema", "contact_info", "--text", "Hi", "--model", "MODEL", "--adapter", "NOWHERE"), "no LoRA adapter"),
        (("--schema", "contact_info", "--file", "NOWHERE", "--model", "MODEL"), "cannot read --file"),
        (("--schema", "contact_info", "--text", "Hi", "--model", "MODEL", "--max-new-tokens", "0"), "at least 1"),
        (
            ("--schema", "contact_info", "--text", "Hi", "--model", "MODEL", "--spans"),
            "--spans is part of constrained decoding on the torch engine: add --constrained",
        ),
        (
            ("--schema", "contact_info", "--text", "Hi", "--engine", "onnx", "--constrained", "--spans"),
            "--spans runs on the torch engine: use --engine torch",
        ),
        (("--schema", "", "--text", "Hi", "--model", "MODEL"), "argument --schema: the schema path is empty"),
        (("--schema", "contact_info", "--text", "long " * 1000, "--model", "MODEL"), "model's context is 4096 tokens"),
    ],
)
def test_bad_input_exits_2_saying_what_is_wrong(capsys, tmp_path, tiny_model, args, message):
    bad_schema = tmp_path / "bad.json"
    bad_schema.write_text(json.dumps({"type": "object", "properties": {"a": {"type": "strung"}}}))
    replace = {"MODEL": tiny_model, "BAD_SCHEMA": bad_schema, "NOWHERE": tmp_path / "nowhere"}
    code, out, err = _run(capsys, *(replace.get(a, a) for a in args))
    assert code == 2 and out == ""
    assert "maaza extract: error:" in err
    assert re.search(message, err), err


def test_an_answer_the_reader_rejects_exits_1_and_says_why(capsys, taught_models, tmp_path):
    schema, text, raw = TAUGHT[0]  # {"temp": NaN}: not JSON
    (tmp_path / "sensor.json").write_text(json.dumps(schema))
    code, out, err = _run(capsys, "--schema", tmp_path / "sensor.json", "--text", text, "--model", taught_models[0])
    assert code == 1 and out == ""
    assert "the model gave no JSON object (invalid_json" in err and raw in err


def test_braces_in_prose_before_the_object_do_not_hide_it(capsys, taught_models, tmp_path):
    schema, text, _ = TAUGHT[1]  # Use {name} here: {"temp": 21.5}
    (tmp_path / "sensor.json").write_text(json.dumps(schema))
    code, out, _ = _run(capsys, "--schema", tmp_path / "sensor.json", "--text", text, "--model", taught_models[1])
    assert code == 0 and json.loads(out) == {"temp": 21.5}


def test_an_answer_not_valid_against_the_schema_is_printed_and_exits_1_saying_why(capsys, tiny_model, tmp_path):
    unsatisfiable = {"type": "object", "required": ["a"], "additionalProperties": False}  # constrained: gives {}
    (tmp_path / "unsatisfiable.json").write_text(json.dumps(unsatisfiable))
    code, out, err = _run(
        capsys, "--schema", tmp_path / "unsatisfiable.json", "--text", "Hi", "--model", tiny_model, "--constrained"
    )
    assert code == 1 and json.loads(out) == {}
    assert "not valid against the schema" in err and "top level: 'a' is a required property" in err


@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])  # Python decodes stdin one way or the other
def test_stdin_that_is_not_utf8_is_refused_before_any_model_loads(capsys, monkeypatch, tmp_path, errors):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"caf\xe9 ok"), encoding="utf-8", errors=errors))
    code, out, err = _run(capsys, "--schema", "contact_info", "--model", tmp_path / "no-model")
    assert code == 2 and out == ""
    assert "stdin is not valid UTF-8" in err  # not "unknown model": no model was loaded first


def test_a_text_or_file_that_is_not_utf8_is_refused_before_any_model_loads(capsys, tmp_path):
    common = ("--schema", "contact_info", "--model", tmp_path / "no-model")
    code, _, err = _run(capsys, *common, "--text", "caf\udce9 ok")  # how Python passes a non-UTF-8 argument
    assert code == 2 and "--text is not valid UTF-8 (character 3)" in err
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9 ok")
    code, _, err = _run(capsys, *common, "--file", tmp_path / "latin1.txt")
    assert code == 2 and f"--file {tmp_path / 'latin1.txt'} is not valid UTF-8 (byte 3)" in err


def test_boolean_subschemas_are_a_schema_like_any_other(capsys, tiny_model, tmp_path):
    schema = {
        "type": "object",
        "properties": {"note": True, "never": False, "tags": {"type": "array", "items": False}},
        "required": ["note"],
    }
    (tmp_path / "booleans.json").write_text(json.dumps(schema))
    code, _, err = _run(capsys, "--schema", tmp_path / "booleans.json", "--text", "Hi", "--model", tiny_model,
                        "--max-new-tokens", "4")  # fmt: skip
    assert code == 1 and "the model gave no JSON object" in err  # the prompt was built and the model ran


def test_a_schema_nested_too_deeply_is_refused_with_a_clear_error(capsys, tmp_path):
    schema = {"type": "string"}
    for _ in range(100):
        schema = {"type": "object", "properties": {"a": schema}}
    (tmp_path / "deep.json").write_text(json.dumps(schema))
    code, _, err = _run(capsys, "--schema", tmp_path / "deep.json", "--text", "Hi", "--model", tmp_path / "no-model")
    assert code == 2 and "the schema nests deeper than 64 levels of JSON" in err


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda a: (a / "adapter_config.json").write_text("[1, 2]"), "adapter_config.json: must hold a JSON object"),
        (lambda a: (a / "adapter_model.safetensors").unlink(), "has no weights: .*adapter_model.safetensors does not"),
        (lambda a: _truncate(a / "adapter_model.safetensors"), "adapter_model.safetensors cannot be read .*truncated"),
    ],
    ids=["config-not-an-object", "weights-missing", "weights-truncated"],
)
def test_a_broken_adapter_folder_exits_2_saying_what_is_broken(capsys, tiny_model, tmp_path, breakage, message):
    adapter = save_tiny_adapter(tiny_model, tmp_path / "adapter", tiny_model)
    breakage(adapter)
    args = ("--schema", "contact_info", "--text", "Hi", "--model", tiny_model, "--adapter", adapter)
    code, out, err = _run(capsys, *args)
    assert code == 2 and out == ""
    assert re.search(message, err), err


def test_the_key_check_prints_the_answer_less_the_keys_it_names(capsys, tiny_model, tmp_path):
    (tmp_path / "schema.json").write_text(json.dumps(OPTIONAL_SCHEMA))
    common = ("--schema", tmp_path / "schema.json", "--text", TEXTS[0], "--model", tiny_model, "--constrained")
    code, out, _ = _run(capsys, *common)
    checked_code, checked_out, err = _run(capsys, *common, "--key-check")
    assert code == checked_code == 0
    dropped = re.search(r"the key check dropped (.*)", err).group(1).split(", ")
    assert dropped and json.loads(checked_out) == {k: v for k, v in json.loads(out).items() if k not in dropped}


def test_loading_an_adapter_gives_no_future_warning(capsys, tiny_model, tmp_path, closed_schema_file):
    adapter = save_tiny_adapter(tiny_model, tmp_path / "adapter", tiny_model)
    args = ("--schema", closed_schema_file, "--text", TEXTS[0], "--model", tiny_model, "--adapter", adapter)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, _, err = _run(capsys, *args, "--constrained")
    assert code == 0, err
    assert [str(w.message) for w in caught if issubclass(w.category, FutureWarning)] == []


def test_ctrl_c_exits_130_saying_so_in_one_line(capsys, monkeypatch, closed_schema_file):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Extractor, "load", interrupted)
    try:
        code, out, err = _run(capsys, "--schema", closed_schema_file, "--text", TEXTS[0], "--model", "any")
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C left maaza extract as a KeyboardInterrupt traceback")
    assert (code, out, err) == (130, "", "maaza extract: interrupted\n")
