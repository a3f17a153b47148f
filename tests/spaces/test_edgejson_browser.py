"""The browser Space (``spaces/edgejson-browser``): its prompt is Python's for every EdgeJSON schema, character for
character and token for token, and the page, built with npm and served with a tiny random GGUF model in headless
Chromium, answers through ``maaza extract --engine browser`` with JSON valid against the schema, and says what is wrong
with bad input. Skipped where Node.js and npm, or Chromium, are missing (``.ci/run`` installs Chromium)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from tiny_gguf import write_tiny_gguf_folder
from transformers import AutoTokenizer

from edgejson import build_messages
from maaza.bases import DEFAULT_BASE, resolve_base
from maaza.cli import main
from maaza.inference.browser_page import BrowserPage

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "spaces" / "edgejson-browser"
DATA = REPO / "edgejson_dataset"
NODE, NPM = shutil.which("node"), shutil.which("npm")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(NODE is None or NPM is None, reason="Node.js and npm are not installed")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)")
# A schema whose every answer is short (booleans, an enum): a random model constrained to it ends within its budget.
SCHEMA = {
    "type": "object",
    "properties": {"urgent": {"type": "boolean"}, "team": {"enum": ["billing", "shipping", "returns"]}},
    "required": ["urgent", "team"],
    "additionalProperties": False,
}
TEXT = "Ticket 4411.\n  Team: shipping\n  Urgent: yes, the parcel is stuck at the depot since Monday."


@pytest.fixture(scope="module")
def built(monkeypatch_module) -> Path:
    """The page built as the Hub builds it (``npm ci && npm run build``), its dist folder given to the engine."""
    installed = PAGE / "node_modules" / ".package-lock.json"
    if not installed.is_file() or installed.stat().st_mtime < (PAGE / "package-lock.json").stat().st_mtime:
        subprocess.run([NPM, "ci", "--no-audit", "--no-fund"], cwd=PAGE, check=True, capture_output=True, timeout=300)
    subprocess.run([NPM, "run", "build"], cwd=PAGE, check=True, capture_output=True, timeout=120)
    monkeypatch_module.setenv("MAAZA_BROWSER_PAGE", str(PAGE / "dist"))
    return PAGE / "dist"


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(resolve_base(DEFAULT_BASE))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return write_tiny_gguf_folder(tmp_path_factory.mktemp("tiny-gguf"), Path(resolve_base(DEFAULT_BASE)))


def _page_prompts(requests: list[list]) -> list[str]:
    """Each [schema, text] rendered by the page's own prompt module, run by Node.js."""
    script = (
        f"import {{ buildMessages, renderChatML }} from {json.dumps((PAGE / 'src' / 'prompt.js').as_uri())};\n"
        "const chunks = []; for await (const chunk of process.stdin) chunks.push(chunk);\n"
        "const requests = JSON.parse(Buffer.concat(chunks).toString('utf8'));\n"
        "console.log(JSON.stringify(requests.map(([schema, text]) => renderChatML(buildMessages(schema, text)))));"
    )
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", script], input=json.dumps(requests), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_page_prompt_is_pythons_for_every_schema(tokenizer):
    """Every schema of the dataset with a text written for it (one per schema and split) and a text with quotes,
    tabs, non-ASCII and indented lines: the same prompt text, and that text is the chat template's tokens."""
    requests = {}
    for split in sorted((DATA / "data").rglob("*.jsonl")):  # every config's splits, generated and nested included
        for line in split.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            requests.setdefault((split, row["schema_id"]), [json.loads(row["schema"]), row["text"]])
    schemas = {schema_id: schema for (_, schema_id), (schema, _) in requests.items()}
    tricky = 'Ada "the Countess" Lovelace\tcafé ☕\n  - item one\n    nested: ünïcode \\ back\\slash'
    requests |= {("tricky", schema_id): [schema, tricky] for schema_id, schema in schemas.items()}
    assert {path.stem for path in (DATA / "schemas").rglob("*.json")} <= set(schemas)
    requests = list(requests.values())
    for (schema, text), prompt in zip(requests, _page_prompts(requests), strict=True):
        messages = build_messages(schema, text)
        assert prompt == tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True)["input_ids"]
        assert tokenizer(prompt, add_special_tokens=False)["input_ids"] == list(ids)


def test_the_page_examples_are_rows_of_the_test_split():
    """The page's examples are copies of test rows, one per complexity band: each equal to its row in the dataset."""
    rows = {}
    for line in (DATA / "data" / "test.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        rows[row["id"]] = row
    examples = json.loads((PAGE / "examples.json").read_text(encoding="utf-8"))
    assert [example["band"] for example in examples] == ["simple", "medium", "complex"]
    for example in examples:
        row = rows[example["id"]]
        assert (example["band"], example["schema_id"]) == (row["complexity"], row["schema_id"])
        assert (example["schema"], example["text"]) == (json.loads(row["schema"]), row["text"])


@needs_chromium
def test_the_page_extracts_json_valid_against_the_schema(built, tiny, tmp_path, capsys):
    """One extraction through the real page (the tiny random model, constrained by llama.cpp's grammar): the engine
    checks the page's prompt is Python's, and the answer is valid against the schema."""
    schema_file = tmp_path / "ticket.json"
    schema_file.write_text(json.dumps(SCHEMA))
    code = main(["extract", "--engine", "browser", "--constrained", "--model", str(tiny), "--schema", str(schema_file),
                 "--text", TEXT])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    jsonschema.validate(json.loads(out), SCHEMA)


@needs_chromium
def test_the_page_says_what_is_wrong_with_bad_input(built, tiny):
    """An empty text and a schema that is not JSON get a message on the page, and the page stays usable."""
    browser = BrowserPage(tiny)
    try:
        page = browser.page
        page.get_by_role("button", name="Extract").wait_for()
        for schema, text, message in (
            (json.dumps(SCHEMA), "   ", "The text is empty"),
            ("{not json", TEXT, "The schema is not JSON"),
            ("[1, 2]", TEXT, "The schema must be a JSON object"),
        ):
            page.fill("#schema", schema)
            page.fill("#text", text)
            page.get_by_role("button", name="Extract").click()
            page.locator("#verdict.error").filter(has_text=message).wait_for(timeout=10_000)
        assert not page.is_checked("#constrained")  # greedy by default: the grammar broke more than it fixed
        page.check("#constrained")  # a random model needs it to answer JSON
        page.fill("#schema", json.dumps(SCHEMA))
        page.fill("#text", TEXT)
        page.get_by_role("button", name="Extract").click()
        page.locator("#verdict.ok").wait_for(timeout=60_000)
        jsonschema.validate(json.loads(page.locator("#answer").inner_text()), SCHEMA)
    finally:
        browser.close()
