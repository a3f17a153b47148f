"""The sections of a results file that say how a run was made: the model (``model_info``), the decoding and the
rules behind it (``decoding_section``), speed and memory (``performance``), provenance, and each example's row.

Usage: ``info = model_info("smollm2-135m-instruct", None, "torch")``; ``decoding_section(Decoding(constrained=True))``;
``provenance("torch")``
"""

from __future__ import annotations

import resource
import subprocess
import sys
from datetime import datetime, timezone
from importlib.metadata import version
from statistics import quantiles
from typing import TYPE_CHECKING, Any

from maaza.evaluation.results import ModelInfo
from maaza.export.info import read_export_info
from maaza.inference.decoding import Decoding
from maaza.inference.spans import RULE as SPANS_RULE
from maaza.paths import RESULTS

if TYPE_CHECKING:
    from maaza.inference.engines import BrowserEngine
    from maaza.inference.extract import Extractor
    from maaza.inference.generation import Generation

LIBRARIES = ("torch", "transformers", "peft", "xgrammar", "datasets", "evaluate", "jsonschema", "edgejson-maaza")
ENGINE_LIBRARIES = {
    "torch": (),
    "onnx": ("onnxruntime-genai", "onnxruntime"),
    "llamacpp": ("llama-cpp-python",),
    "browser": ("playwright",),
}


def model_info(model: str, adapter: str | None, engine: str) -> ModelInfo:
    """What the results file says of the model, known before it loads (a torch model's size: once it has)."""
    from maaza.adapters import adapter_hash
    from maaza.bases import BASES

    if engine == "torch":
        return ModelInfo(
            name=model,
            parameters=0,  # known once the model is loaded
            adapter=adapter,
            hub_id=BASES[model].hub_id if model in BASES else None,
            adapter_sha256=adapter_hash(adapter) if adapter else None,
        )
    if adapter is not None:
        raise ValueError(f"--engine {engine}: the adapter is in the folder `maaza export` made; give no --adapter")
    export = read_export_info(model)
    return ModelInfo(
        name=export.base,
        parameters=export.parameters,
        adapter=export.adapter,
        hub_id=BASES[export.base].hub_id if export.base in BASES else None,
        adapter_sha256=export.adapter_sha256,
        size_mb=export.size_mb,
        engine=engine,
        precision=export.precision,
        export=str(model),
    )


def decoding_section(decoding: Decoding) -> dict[str, Any]:
    """A results file's ``decoding``: the run's ``Decoding`` record (its batch size as run), greedy, and the rules
    behind its budget, its stops and each switch."""
    from maaza.checks.keys import RULE as KEY_CHECK_RULE
    from maaza.checks.values import RULE as VALUE_CHECK_RULE
    from maaza.inference.extract import ANSWER_MARGIN
    from maaza.inference.generation import CLOSE_TOKENS, MIN_LOOP, REPEATS

    on_torch = decoding.engine == "torch"
    grammar = {
        "torch": f"xgrammar {version('xgrammar')}",
        "onnx": "llguidance (onnxruntime-genai guidance)",
        "browser": "llama.cpp's grammar from the JSON Schema (json_schema), in the browser page",
    }.get(decoding.engine)
    return {
        **decoding.greedy,
        "constrained": decoding.constrained,
        "engine": grammar if decoding.constrained else None,  # the grammar engine; the model's engine is model.engine
        "batch_size": decoding.batch_size,
        "max_new_tokens": f"per example, known before answering: tokens of the schema's template + of the text + "
        f"{ANSWER_MARGIN}",
        "stop": "EOS or the budget (constrained, the grammar allows EOS only once the object is complete)"
        if decoding.engine == "browser"
        else f"end of the first top-level JSON object, EOS, the budget, or a loop (a block of tokens {REPEATS} "
        f"times in a row over >= {MIN_LOOP} tokens)"
        + (
            f"; constrained, a loop or the budget starts closing instead: up to {CLOSE_TOKENS} more tokens, "
            "closing tokens first wherever the grammar allows one"
            if decoding.constrained and on_torch
            else ""
        ),
        "spans": decoding.spans,
        **({"spans_rule": SPANS_RULE} if decoding.spans else {}),
        "key_check": decoding.key_check,
        **({"key_check_rule": KEY_CHECK_RULE} if decoding.key_check else {}),
        "value_check": decoding.value_check,
        **({"value_check_rule": VALUE_CHECK_RULE} if decoding.value_check else {}),
        "prompt": "edgejson.build_messages through the tokenizer's chat template"
        + ("; the page's own copy, held to the same tokens" if decoding.engine == "browser" else ""),
    }


def performance(extractor: Extractor, generations: list[Generation], wall_s: float, load_s: float) -> dict[str, Any]:
    """Speed and memory of a run: wall time, tokens, latencies, peak RSS, and what constrained decoding cost."""
    latencies = sorted(g.latency_s for g in generations)
    p50, p95 = (
        (latencies[0], latencies[0]) if len(latencies) == 1 else [quantiles(latencies, n=100)[q] for q in (49, 94)]
    )
    new_tokens = sum(g.new_tokens for g in generations)
    decoding = extractor.decoding
    constraint = extractor.constraint if decoding.constrained and decoding.engine == "torch" else None
    checked = "; with the value or key check, until its checked answer was ready" if decoding.checks else ""
    return {
        "wall_s": round(wall_s, 3),
        "model_load_s": round(load_s, 3),
        "generated_tokens": new_tokens,
        "tokens_per_s": round(new_tokens / wall_s, 2),
        "examples_per_s": round(len(generations) / wall_s, 3),
        "latency_p50_s": round(p50, 3),
        "latency_p95_s": round(p95, 3),
        "latency": "per example: from the start of its batch until its JSON object was complete" + checked,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "schema_compile_s": round(constraint.compile_s, 3) if constraint else None,
        "mask_ms_per_token": round(1000 * constraint.mask_s / max(new_tokens, 1), 3) if constraint else None,
        **({"browser": browser_section(extractor.backend)} if decoding.engine == "browser" else {}),
    }


def browser_section(engine: BrowserEngine) -> dict[str, Any]:
    """What ran the browser engine's page, and the page's own speed: answer tokens over the seconds spent on them,
    the prompt's left out (``tokens_per_s`` counts every second of the run). peak_rss_mb is Python's, not the tab's."""
    page = engine.page
    return {
        "chromium": page.chromium,
        "page": page.build,
        "threads": page.threads,
        "decode_tokens_per_s": round(engine.decoded_tokens / sum(engine.decode_s), 2) if engine.decode_s else None,
        "prompts_tokenized_otherwise": engine.retokenized,  # by llama.cpp: another number of tokens than Python's
    }


def _git(*args: str) -> str | None:
    """``git ARGS`` in the working directory's repository (provenance of a run started there); None outside one."""
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def provenance(engine: str) -> dict[str, Any]:
    """When, from which code and command, with which libraries and on which machine a run was made."""
    from maaza.machine import machine

    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": _git("rev-parse", "HEAD"),
        # Changes to the code or data, not the results files that runs like this one write.
        "git_dirty": bool(_git("status", "--porcelain", "--", ".", f":(exclude){RESULTS}")),
        "command": " ".join(["edgejson-eval", *sys.argv[1:]]),
        "libraries": {name: version(name) for name in LIBRARIES + ENGINE_LIBRARIES[engine]},
        "machine": machine(),
    }


def example_rows(
    examples: list[dict[str, Any]], generations: list[Generation], details: list[dict[str, Any]], budgets: list[int]
) -> list[dict[str, Any]]:
    """Each example as the results file keeps it: its output, what the checks changed, how it scored and cost."""
    return [
        {
            "id": ex["id"],
            "schema_id": ex["schema_id"],
            "complexity": ex["complexity"],
            "raw_output": g.raw,
            "dropped": g.dropped,  # by the value and key checks: parsed is raw_output without them,
            "repaired": g.repaired,  # and with these values set by the value check
            "parsed": d["parsed"],
            "failure": d["failure"],
            "errors": d["errors"],
            "scores": {k: d[k] for k in ("json_exact", "field_f1", "schema_compliance", "leaf_f1", "schema_valid")},
            "prompt_tokens": g.prompt_tokens,
            "new_tokens": g.new_tokens,
            "budget": budget,
            "stop": g.stop,
            "latency_s": round(g.latency_s, 3),
        }
        for ex, g, d, budget in zip(examples, generations, details, budgets, strict=True)
    ]
