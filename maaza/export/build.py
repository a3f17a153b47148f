"""Merge a LoRA adapter into its base and build ONNX Runtime GenAI folders from it with ``onnxruntime-genai``'s model
builder, one per precision. Each folder carries ``export_info.json`` (what it is) and a README (how to run it).
Precision ``q4`` is not the builder's: the base's own GGUF grid with the adapter unmerged beside it
(``maaza.export.grid``); ``gguf`` is no ONNX build: the base's GGUF file and the adapter as a GGUF LoRA file for
llama.cpp (``maaza.export.lora_gguf``).

Layout: ``<out>/merged`` (the merged safetensors model) and ``<out>/<precision>`` (``model.onnx``, its data, the
tokenizer and ``genai_config.json``); ``<out>`` defaults to ``exports/<adapter folder name>``.

Usage: ``export("smollm2-135m-instruct", "maaza_models/maaza-mlm-135m-json", Path("exports/m"), ["fp32", "int4"])``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from maaza.export.info import (
    GGUF_PRECISIONS,
    GRID,
    INFO,
    PRECISIONS,
    ExportError,
    ExportInfo,
    Quantization,
    folder_mb,
    model_mb,
    require_genai,
)
from maaza.export.lora_gguf import export_gguf


def merge(model: str, adapter: str | os.PathLike, out: Path) -> tuple[Path, int]:
    """Merge ``adapter`` into base ``model`` and save model and tokenizer in ``out``: the folder and its parameters."""
    from maaza.adapters import attach_adapter
    from maaza.bases import load_base

    base, tokenizer = load_base(model)
    merged = attach_adapter(base, model, adapter)
    merged.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out, merged.num_parameters()


def build(merged: Path, out: Path, precision: str, quantization: Quantization) -> Path:
    """Run the model builder on the merged folder for the CPU at ``precision``, then load what it wrote;
    ``ExportError`` with the builder's output, or with why ONNX Runtime cannot load the model."""
    require_genai()
    with tempfile.TemporaryDirectory(prefix="maaza-export-") as cache:
        command = [sys.executable, "-m", "onnxruntime_genai.models.builder", "-i", str(merged), "-o", str(out)]
        command += ["-p", precision, "-e", "cpu", "-c", cache, "--extra_options", "hf_token=false"]
        command += quantization.options() if precision != "fp32" else []
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0 or not (out / "genai_config.json").is_file():
        raise ExportError(f"the ONNX model builder failed at {precision}:\n{(done.stdout + done.stderr)[-3000:]}")
    settings = quantization.options() if precision != "fp32" else "fp32"
    failure = f"the ONNX model builder wrote a model that ONNX Runtime cannot load at {precision} ({settings})"
    return check_loads(out, failure)


def check_loads(folder: Path, failure: str) -> Path:
    """``folder`` once ONNX Runtime GenAI loads it; else ``ExportError``: ``failure`` and ONNX Runtime's reason."""
    og = require_genai()
    try:
        og.Model(str(folder))
    except Exception as err:  # onnxruntime-genai raises RuntimeError or its own errors
        raise ExportError(f"{failure}: {err}") from None
    return folder


def build_on_grid(model: str, adapter: str | os.PathLike, out: Path) -> tuple[Path, str]:
    """Build the base alone at fp32, then rewrite it onto its own grid with the adapter beside it
    (``maaza.export.grid.regrid``), then load what it wrote; the folder and its settings. ``ExportError`` when the
    base is not on such a grid."""
    from maaza.bases import resolve_base
    from maaza.export.grid import SETTINGS, lora_factors, regrid

    with tempfile.TemporaryDirectory(prefix="maaza-grid-") as tmp:
        base = build(Path(resolve_base(model)), Path(tmp) / "fp32", "fp32", Quantization())
        regrid(base, lora_factors(model, adapter), out)
    return check_loads(out, f"ONNX Runtime cannot load the {GRID} build at {out}"), SETTINGS


CARD = """# {name} · ONNX Runtime GenAI, {precision}

{how} (`maaza export`).

| | |
|---|---|
| Base | `{base}` |
| Adapter sha256 | `{sha}` |
| Precision | {precision}{quantization} |
| Parameters | {parameters:,} |
| Size on disk | {size_mb} MB (the model and its weights: {model_mb} MB) |

## Run it

```python
import json
import onnxruntime_genai as og
from transformers import AutoTokenizer
from edgejson import build_messages
from edgejson.schemas import load_schema

# this folder: "{folder}" where it was built; from the model repo, `hf download <repo> --include "onnx/{precision}/*"
# --local-dir maaza` puts it in "maaza/onnx/{precision}"
folder = "{folder}"
model, tokenizer = og.Model(folder), AutoTokenizer.from_pretrained(folder)
prompt = tokenizer.apply_chat_template(
    build_messages(load_schema("contact_info"), "Reach Ana Diaz at ana@diaz.dev"), add_generation_prompt=True
)["input_ids"]
params = og.GeneratorParams(model)
params.set_search_options(do_sample=False, max_length=len(prompt) + 256)
# optional: params.set_guidance("json_schema", json.dumps(load_schema("contact_info")))
generator = og.Generator(model, params)
generator.append_tokens([prompt])
while not generator.is_done():
    generator.generate_next_token()
print(tokenizer.decode(generator.get_sequence(0)[len(prompt):], skip_special_tokens=True))
```

Or with Maaza: `maaza extract --engine onnx --model <this folder> --schema contact_info --text "..."`
"""


def write_card(folder: Path, info: ExportInfo) -> None:
    """``export_info.json`` and README.md of an ONNX folder."""
    (folder / INFO).write_text(json.dumps(asdict(info), indent=1) + "\n", encoding="utf-8")
    quantization = info.quantization or {}
    settings = ", ".join(f"{k} {v}" for k, v in quantization.items() if v is not None)
    if info.precision == GRID:
        how = (
            f"The base `{info.base}` on its own 4-bit grid, as its GGUF file stores it, with the LoRA adapter "
            f"`{info.adapter}` beside it, unmerged, in int8: the base's weights keep their 4-bit codes, none is "
            "rounded a second time"
        )
    else:
        how = (
            f"The LoRA adapter `{info.adapter}` merged into its base `{info.base}` and built with {info.builder} "
            f"for the CPU at **{info.precision}**"
        )
    card = CARD.format(
        how=how,
        name=Path(info.adapter).name if info.adapter else info.base,
        folder=folder.as_posix(),
        sha=info.adapter_sha256,
        quantization=f" ({settings})" if settings else "",
        **{k: v for k, v in asdict(info).items() if k != "quantization"},
    )
    (folder / "README.md").write_text(card, encoding="utf-8")


def export(
    model: str,
    adapter: str | os.PathLike,
    out: Path,
    precisions: list[str],
    quantization: Quantization | None = None,
) -> list[Path]:
    """Merge ``adapter`` into ``model`` under ``out/merged``, then build one ONNX folder per precision in
    ``out/<precision>``; their paths."""
    from maaza.adapters import adapter_hash, check_weights, read_adapter_config

    quantization = quantization or Quantization()
    unknown = sorted(set(precisions) - set(PRECISIONS))
    if unknown:
        raise ExportError(f"unknown precision {', '.join(unknown)}: choose from {', '.join(PRECISIONS)}")
    read_adapter_config(adapter)
    check_weights(adapter)
    if set(precisions) - set(GGUF_PRECISIONS):  # the ONNX builds
        require_genai()
        merged, parameters = merge(model, adapter, Path(out) / "merged")
    folders = []
    for precision in precisions:
        if precision in GGUF_PRECISIONS:
            folders.append(export_gguf(model, adapter, Path(out) / precision, precision))
            continue
        if precision == GRID:
            folder, grid = build_on_grid(model, adapter, Path(out) / precision)
            settings = {"grid": grid}
        else:
            folder = build(merged, Path(out) / precision, precision, quantization)
            settings = None if precision == "fp32" else asdict(quantization)
        info = ExportInfo(
            base=model,
            adapter=str(adapter),
            adapter_sha256=adapter_hash(adapter),
            precision=precision,
            parameters=parameters,
            size_mb=folder_mb(folder),
            model_mb=model_mb(folder),
            quantization=settings,
        )
        write_card(folder, info)
        folders.append(folder)
    return folders
