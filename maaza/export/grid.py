"""A 4-bit ONNX build that keeps a base converted from a GGUF on that file's own grid, the adapter unmerged beside it.

SmolLM2-135M comes to us as a Q4_1 GGUF: every weight of its layers is ``d * q + m`` with a 4-bit code ``q`` and a
scale ``d`` and minimum ``m`` per block of 32 inputs, and its vocabulary matrix is Q8_0 (``d * q``, ``q`` in
-127..127). Re-quantising base + adapter rounds every weight a second time and blurs the adapter, whose changes are
smaller than a 4-bit step. Here the grid is read back from the base's float weights and stored as it is: each group
of MatMuls on one input becomes a 4-bit ``MatMulNBits`` (codes and scales; it subtracts 8 from every code) plus one
small MatMul pair that adds each block's ``m + 8 d`` and the LoRA adapter, unmerged:
``y = x W_q + (x [P | A]) [M ; s B]`` where ``x P`` sums ``x`` over each block. The vocabulary matrix is 8-bit,
shared by the embedding lookup (``GatherBlockQuantized``) and the output layer. The layers' MatMuls take their inputs
in fp32 (accuracy level 1: int8 inputs cost 2.5 points of JSONExact on the first 120 test examples, fp32 1.7, at
about the same speed); the output layer's in int8, the only fast 8-bit kernel.

What the pair adds is stored small enough for the file to stay under 100 MB: ``m + 8 d`` and the adapter in int8
with a scale per output (or per rank), each module's update ``s B A`` at the smallest rank that keeps ``ENERGY`` of
its squared norm (SVD; rank 15.5 of 24 on average for v0.3), and the rotary caches computed at load from their
frequencies: 99.8 MB for v0.3, 114.1 MB with all of them in fp16. On the first 300 test examples the two parsed as
PyTorch on 274 and 286 answers, 134 and 136 exact (PyTorch 139): the price of the 14 MB.

Usage: ``regrid(Path("exports/m/base-fp32"), lora_factors("smollm2-135m-instruct", adapter), Path("exports/m/q4"))``
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from maaza.export.info import ExportError

BLOCK = 32
ENERGY = 0.99  # the share of each adapter update's squared norm its stored rank keeps (0.995: 100.7 MB for v0.3)
SETTINGS = (  # as export_info.json records them
    f"layers Q4_1 (fp32 inputs) and vocabulary Q8_0 (int8 inputs) in blocks of 32, as the base's GGUF; adapter "
    f"unmerged in int8, each update at the rank keeping {ENERGY:.1%} of its squared norm; block minimums in int8"
)
LAYER_MATMUL = re.compile(r"model\.layers\.(\d+)\.(attn|mlp)\.(qkv|o|gate|up|down)_proj\.MatMul\.weight")
VOCAB = "lm_head.MatMul.weight"


def q4_1_grid(w: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``w`` ([N, K]) in blocks of 32 along K as Q4_1: codes 0..15 [N, K], scales and minimums [N, K/32];
    ``ExportError`` when ``w`` is not ``d * q + m`` within float rounding."""
    blocks = _blocks(w, where)
    low, high = blocks.min(-1), blocks.max(-1)
    scale = ((high - low) / 15).astype(np.float16).astype(np.float32)
    codes = np.rint((blocks - low[..., None]) / np.where(scale == 0, 1, scale)[..., None])
    _check(blocks, scale[..., None] * codes + low[..., None], scale, codes, 15, f"{where} (Q4_1)")
    return codes.astype(np.uint8).reshape(w.shape), scale, low


def q8_0_grid(w: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    """``w`` ([N, K]) in blocks of 32 along K as Q8_0: codes -127..127 [N, K] and scales [N, K/32]; ``ExportError``
    when ``w`` is not ``d * q`` within float rounding."""
    blocks = _blocks(w, where)
    scale = (np.abs(blocks).max(-1) / 127).astype(np.float16).astype(np.float32)
    codes = np.rint(blocks / np.where(scale == 0, 1, scale)[..., None])
    _check(blocks, scale[..., None] * codes, scale, np.abs(codes), 127, f"{where} (Q8_0)")
    return codes.astype(np.int16).reshape(w.shape), scale


def _blocks(w: np.ndarray, where: str) -> np.ndarray:
    if w.ndim != 2 or w.shape[1] % BLOCK:
        raise ExportError(f"{where}: shape {w.shape} does not split into blocks of {BLOCK} along its inputs")
    return w.astype(np.float32).reshape(w.shape[0], -1, BLOCK)


def _check(blocks: np.ndarray, rebuilt: np.ndarray, scale: np.ndarray, codes: np.ndarray, top: int, where: str):
    error = np.abs(rebuilt - blocks).max(-1) / np.maximum(scale, 1e-12)
    worst = float(error.max()) if error.size else 0.0
    if worst > 1e-2 or codes.max(initial=0) > top:
        raise ExportError(
            f"{where}: the weights are not on a grid of blocks of {BLOCK} (a weight lies {worst:.3f} steps off it); "
            "this build only fits a base converted from a GGUF of that type: use the int4 precision instead"
        )


def _pack4(codes: np.ndarray) -> np.ndarray:
    """Codes 0..15 [N, K] as MatMulNBits stores them: [N, K/32, 16] bytes, the even input in the low nibble."""
    codes = codes.reshape(codes.shape[0], -1, BLOCK).astype(np.uint8)
    return codes[..., 0::2] | (codes[..., 1::2] << 4)


def compact_factors(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The update ``b @ a`` (``b`` [N, r], ``a`` [r, K]) as balanced factors of the smallest rank that keeps
    ``ENERGY`` of its squared norm: ``(A' [k, K], B' [N, k])``, ``B' @ A'`` the truncated SVD."""
    qb, rb = np.linalg.qr(b.astype(np.float64))
    qa, ra = np.linalg.qr(a.T.astype(np.float64))
    u, sv, vt = np.linalg.svd(rb @ ra.T)
    energy = np.cumsum(sv**2) / max(float(np.sum(sv**2)), 1e-30)
    k = int(np.searchsorted(energy, ENERGY)) + 1
    root = np.sqrt(sv[:k])
    return (root[:, None] * (vt[:k] @ qa.T)).astype(np.float32), ((qb @ u[:, :k]) * root).astype(np.float32)


def lora_factors(model: str, adapter: str | os.PathLike) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The LoRA factors of ``adapter`` on base ``model`` as PEFT attaches them: ``{module: (A [r, K], s B [N, r])}``
    (module as in ``model.layers.0.self_attn.q_proj``, ``s`` the module's scaling)."""
    from peft.tuners.lora import LoraLayer

    from maaza.adapters import load_adapter
    from maaza.bases import load_base

    peft_model = load_adapter(load_base(model)[0], model, adapter)
    config = peft_model.peft_config["default"]
    if config.use_dora or config.modules_to_save or getattr(config, "trainable_token_indices", None):
        raise ExportError(f"the adapter at {adapter} is not plain LoRA (DoRA, saved modules or trained tokens)")
    return {
        name.removeprefix("base_model.model."): (
            layer.lora_A["default"].weight.detach().float().numpy(),
            layer.scaling["default"] * layer.lora_B["default"].weight.detach().float().numpy(),
        )
        for name, layer in peft_model.named_modules()
        if isinstance(layer, LoraLayer)
    }


class _Graph:
    """Nodes and initializers of the rewritten graph. Constants are stored compactly (fp16 values in fp16, the low-rank
    pair in int8, no zeros, no block-sum matrix) and rebuilt in float by nodes that ONNX Runtime folds when it loads
    the model."""

    def __init__(self):
        self.nodes: list = []
        self.inits: list = []

    def init(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], outputs: str | list[str], **attrs) -> str:
        """Add a node; its (first) output."""
        outputs = [outputs] if isinstance(outputs, str) else outputs
        domain = "com.microsoft" if op in ("MatMulNBits", "GatherBlockQuantized") else ""
        self.nodes.append(helper.make_node(op, inputs, outputs, domain=domain, **attrs))
        return outputs[0]

    def fp16(self, name: str, array: np.ndarray) -> str:
        """``array`` stored in fp16, cast to float."""
        return self.node("Cast", [self.init(f"{name}.fp16", array.astype(np.float16))], name, to=1)

    def int8(self, name: str, array: np.ndarray) -> str:
        """``array`` [m, n] stored in int8 with an fp16 scale per column, rebuilt in float."""
        scale = (np.abs(array).max(0, keepdims=True) / 127).astype(np.float16)
        codes = np.rint(array / np.maximum(scale.astype(np.float32), 1e-30)).astype(np.int8)
        return self.node(
            "Mul",
            [
                self.node("Cast", [self.init(f"{name}.q8", codes)], f"{name}.codes", to=1),
                self.fp16(f"{name}.scale", scale),
            ],
            name,
        )

    def shape(self, name: str, *dims: int) -> str:
        return self.init(name, np.array(dims, np.int64))

    def block_sums(self, name: str, k: int) -> str:
        """[K, K/32] float: column b sums inputs 32b..32b+31."""
        nb = k // BLOCK
        eye = self.node(
            "Reshape", [self.fp16(f"{name}.eye", np.eye(nb)), self.shape(f"{name}.s1", nb, 1, nb)], name + ".e"
        )
        wide = self.node("Expand", [eye, self.shape(f"{name}.s2", nb, BLOCK, nb)], name + ".x")
        return self.node("Reshape", [wide, self.shape(f"{name}.s3", k, nb)], name)

    def padded(self, name: str, source: str, before: int, after: int) -> str:
        """The float [r, n] ``source`` with ``before`` and ``after`` zero columns."""
        return self.node("Pad", [source, self.shape(f"{name}.pads", 0, before, 0, after)], name)


def _modules(name: str, n: int, decoder: dict) -> list[tuple[str, int]]:
    """The PEFT modules a builder MatMul weight packs, with their outputs: q, k, v for ``qkv_proj``."""
    found = LAYER_MATMUL.fullmatch(name)
    prefix = f"model.layers.{found[1]}."
    if found[3] != "qkv":
        return [(prefix + ("self_attn.o_proj" if found[3] == "o" else f"mlp.{found[3]}_proj"), n)]
    q, kv = (decoder[key] * decoder["head_size"] for key in ("num_attention_heads", "num_key_value_heads"))
    if q + 2 * kv != n:
        raise ExportError(f"{name}: {n} outputs, not the {q} + {kv} + {kv} of the query, key and value heads")
    return [(prefix + f"self_attn.{part}_proj", size) for part, size in zip("qkv", (q, kv, kv), strict=True)]


def _grouped(g: _Graph, nodes: list, weights: dict, factors: dict, used: set[str], decoder: dict) -> None:
    """Builder MatMuls that read the same input (``gate_proj`` and ``up_proj``, or ``qkv_proj`` alone): one 4-bit
    MatMulNBits over their weights stacked, plus the low-rank pair of block minimums and LoRA, split back."""
    names = [node.input[1] for node in nodes]
    parts = [numpy_helper.to_array(weights[name]).T for name in names]  # [N_i, K]
    (n, k), tag = (sum(p.shape[0] for p in parts), parts[0].shape[1]), names[0].removesuffix(".MatMul.weight")
    codes, scale, low = q4_1_grid(np.vstack(parts), " + ".join(names))
    scales = g.fp16(f"{tag}.scales", scale.ravel())
    attrs = {"K": k, "N": n, "bits": 4, "block_size": BLOCK, "accuracy_level": 1}
    x = nodes[0].input[0]
    quantized = g.node("MatMulNBits", [x, g.init(f"{tag}.q4", _pack4(codes)), scales], f"{tag}.grid", **attrs)
    # no zero points: MatMulNBits subtracts 8, so each block adds back m + 8 d times the sum of its inputs
    offset = low + 8 * scale  # [N, K/32]
    left, right = [g.block_sums(f"{tag}.sums", k)], [g.int8(f"{tag}.offset_t", offset.T)]
    column = 0
    for name, part in zip(names, parts, strict=True):
        for module, size in _modules(name, part.shape[0], decoder):
            if module in factors:
                a, b = factors[module]
                if b.shape[0] != size:
                    raise ExportError(f"the adapter's {module} has {b.shape[0]} outputs, the base's {size}")
                used.add(module)
                a, b = compact_factors(a, b)
                left.append(g.int8(f"{module}.lora_A_t", a.T))
                b_t = g.int8(f"{module}.lora_B_t.raw", b.T)
                right.append(g.padded(f"{module}.lora_B_t", b_t, column, n - column - size))
            column += size
    low_rank = g.node("MatMul", [x, g.node("Concat", left, f"{tag}.left", axis=1)], f"{tag}.t")
    back = g.node("MatMul", [low_rank, g.node("Concat", right, f"{tag}.right", axis=0)], f"{tag}.r")
    total = g.node("Add", [quantized, back], nodes[0].output[0] if len(nodes) == 1 else f"{tag}.sum")
    if len(nodes) > 1:
        sizes = g.init(f"{tag}.split", np.array([p.shape[0] for p in parts], np.int64))
        g.node("Split", [total, sizes], [node.output[0] for node in nodes], axis=-1)


def _rotary(g: _Graph, weights: dict) -> set[str]:
    """The builder's rotary caches (``cos(p f)``, ``sin(p f)`` for every position ``p``) computed at load from their
    frequencies instead of stored; the caches it replaced (none when they are not of that form)."""
    if "cos_cache" not in weights or "sin_cache" not in weights:
        return set()
    cos, sin = (numpy_helper.to_array(weights[name]) for name in ("cos_cache", "sin_cache"))
    freq = np.arctan2(sin[1].astype(np.float64), cos[1].astype(np.float64)).astype(np.float32)
    angles = np.outer(np.arange(len(cos), dtype=np.float32), freq)
    if cos.dtype != np.float32 or max(np.abs(np.cos(angles) - cos).max(), np.abs(np.sin(angles) - sin).max()) > 1e-3:
        return set()
    limits = [
        g.init(f"rotary.{name}", np.array(value, np.float32)) for name, value in (("0", 0), ("n", len(cos)), ("1", 1))
    ]
    positions = g.node(
        "Unsqueeze", [g.node("Range", limits, "rotary.positions"), g.shape("rotary.axis", 1)], "rotary.p"
    )
    angle = g.node("Mul", [positions, g.init("rotary.freq", freq[None])], "rotary.angles")
    g.node("Cos", [angle], "cos_cache")
    g.node("Sin", [angle], "sin_cache")
    return {"cos_cache", "sin_cache"}


def regrid(fp32_folder: Path, factors: dict[str, tuple[np.ndarray, np.ndarray]], out: Path) -> Path:
    """Rewrite the fp32 ONNX build of a GGUF-converted base (``fp32_folder``, the builder's output) into ``out`` with
    its weights on their own grid and the LoRA ``factors`` (``lora_factors``; empty: none) beside them; ``out``."""
    decoder = json.loads((fp32_folder / "genai_config.json").read_text(encoding="utf-8"))["model"]["decoder"]
    model = onnx.load(str(fp32_folder / "model.onnx"))
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    if VOCAB not in weights:
        raise ExportError(f"{fp32_folder}: no {VOCAB} (a tied vocabulary matrix) in the graph")
    g, used = _Graph(), set()
    computed = _rotary(g, weights)
    vocab = numpy_helper.to_array(weights[VOCAB]).T  # [V, K]
    codes, scale = q8_0_grid(vocab, VOCAB)
    (v, k), nb = vocab.shape, vocab.shape[1] // BLOCK
    vocab_codes, vocab_scales = g.init("vocab.q8", (codes + 128).astype(np.uint8)), g.fp16("vocab.scales", scale)
    embedding = _output_of(graph, VOCAB)
    by_input: dict[str, list] = {}
    for node in graph.node:
        if node.op_type == "MatMul" and LAYER_MATMUL.fullmatch(node.input[1]):
            by_input.setdefault(node.input[0], []).append(node)
    for node in graph.node:
        weight = node.input[1] if len(node.input) > 1 else ""
        if node.op_type == "MatMul" and LAYER_MATMUL.fullmatch(weight):
            if by_input[node.input[0]][0] is node:
                _grouped(g, by_input[node.input[0]], weights, factors, used, decoder)
        elif node.op_type == "MatMul" and weight == VOCAB:
            blocked = g.node("Reshape", [vocab_codes, g.shape("vocab.s1", v, nb, BLOCK)], "vocab.q8.blocked")
            flat = g.node("Reshape", [vocab_scales, g.shape("vocab.s2", -1)], "vocab.scales.flat")
            # accuracy level 4 (int8 inputs): an 8-bit MatMulNBits has no fast kernel for fp32 inputs
            attrs = {"K": k, "N": v, "bits": 8, "block_size": BLOCK, "accuracy_level": 4}
            g.node("MatMulNBits", [node.input[0], blocked, flat], list(node.output), **attrs)
        elif node.op_type == "Transpose" and list(node.input) == [VOCAB]:
            continue  # the embedding lookup below reads the 8-bit codes directly
        elif node.op_type == "Gather" and node.input[0] == embedding:
            attrs = {"block_size": BLOCK, "gather_axis": 0, "quantize_axis": 1, "bits": 8}
            g.node("GatherBlockQuantized", [vocab_codes, node.input[1], vocab_scales], list(node.output), **attrs)
        elif VOCAB in node.input or (node.op_type == "MatMul" and weight in weights):
            raise ExportError(f"{node.name}: a {node.op_type} on {weight}, which this build cannot keep on its grid")
        else:
            g.nodes.append(node)
    missed = sorted(set(factors) - used)
    if missed:
        raise ExportError(f"the adapter changes {', '.join(missed[:4])}…, which the graph has no MatMul for")
    replaced = computed | {VOCAB}
    kept = [init for init in graph.initializer if not LAYER_MATMUL.fullmatch(init.name) and init.name not in replaced]
    del graph.node[:]
    graph.node.extend(g.nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + g.inits)
    out.mkdir(parents=True, exist_ok=True)
    for path in fp32_folder.iterdir():
        if path.is_file() and not path.name.startswith("model.onnx"):
            shutil.copy2(path, out / path.name)
    for stale in out.glob("model.onnx*"):
        stale.unlink()
    onnx.save(model, str(out / "model.onnx"), save_as_external_data=True, location="model.onnx.data")
    return out


def _output_of(graph, initializer: str) -> str | None:
    """The output of the Transpose of ``initializer`` (the builder's embedding reads the tied matrix transposed)."""
    return next((n.output[0] for n in graph.node if n.op_type == "Transpose" and list(n.input) == [initializer]), None)
