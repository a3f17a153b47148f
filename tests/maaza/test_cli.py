"""``maaza extract``: JSON on stdout from --text, --file or stdin; bad input exits 2 with a clear message."""

import io
import json
import re

import jsonschema
import pytest
from maaza_tiny import CLOSED_SCHEMA, TEXTS

from maaza.cli import main


def _run(capsys, *argv):
    try:
        code = main(["extract", *map(str, argv)])
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


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
