"""What an export is: the precisions ``maaza export`` builds, the ``export_info.json`` each ONNX folder carries, the
error an export raises, and the sizes on disk. Imports neither torch nor the ONNX builder.

Usage: ``info = read_export_info("exports/maaza-mlm-135m-json/int4")``
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import ModuleType
from typing import Any

# the builder's for the CPU; q4: the base's own 4-bit grid; gguf: the base's GGUF file and a GGUF LoRA for llama.cpp;
# gguf-q8: the same with a smaller LoRA file (q8_0 where a row fills its blocks), the browser page's download
PRECISIONS = ("fp32", "int4", "q4", "gguf", "gguf-q8")
GRID = "q4"
GGUF = "gguf"
GGUF_Q8 = "gguf-q8"
GGUF_PRECISIONS = (GGUF, GGUF_Q8)
INFO = "export_info.json"


class ExportError(ValueError):
    """An export that cannot be made or an ONNX folder that cannot be used; the message says why."""


def require_genai() -> ModuleType:
    """The ``onnxruntime_genai`` module; ``ExportError`` saying how to install it when it is missing."""
    try:
        import onnxruntime_genai
    except ImportError:
        raise ExportError(
            "onnxruntime-genai is not installed: pip install 'edgejson-maaza[edge]' "
            "(or: pip install onnxruntime-genai onnx onnx_ir)"
        ) from None
    return onnxruntime_genai


@dataclass(frozen=True)
class Quantization:
    """Weight-only (MatMulNBits) quantization settings of an int4 build, passed to the builder as-is."""

    block_size: int = 32
    accuracy_level: int = 4  # minimum compute precision of the quantized MatMuls: 1 fp32, 2 fp16, 3 bf16, 4 int8

    def options(self) -> list[str]:
        """The builder's ``--extra_options`` for these settings."""
        return [f"block_size={self.block_size}", f"accuracy_level={self.accuracy_level}"]


@dataclass(frozen=True)
class ExportInfo:
    """``export_info.json`` of an ONNX folder: what was merged and built."""

    base: str
    adapter: str | None
    adapter_sha256: str | None
    precision: str
    parameters: int
    size_mb: float  # the folder's files on disk, this file and the README aside
    quantization: dict[str, Any] | None = None
    model_mb: float | None = None  # what the runtime loads: model.onnx and its data, or the GGUF files (None: unknown)
    builder: str = field(default_factory=lambda: version_of("onnxruntime-genai"))


def version_of(package: str) -> str:
    try:
        return f"{package} {version(package)}"
    except PackageNotFoundError:
        return package


def files_mb(files: Iterable[Path]) -> float:
    return round(sum(p.stat().st_size for p in files) / 1e6, 1)


def folder_mb(folder: Path) -> float:
    """Size on disk of the files in ``folder`` (not recursive), ``export_info.json`` and README.md aside, in MB."""
    return files_mb(p for p in Path(folder).iterdir() if p.is_file() and p.name not in (INFO, "README.md"))


def model_mb(folder: Path) -> float:
    """Size on disk of the ONNX model and its external data (``model.onnx*``) in ``folder``, in MB."""
    return files_mb(Path(folder).glob("model.onnx*"))


def read_export_info(folder: str | os.PathLike) -> ExportInfo:
    """The ``export_info.json`` of an ONNX folder; ``ExportError`` when the folder was not made by ``maaza export``."""
    path = Path(folder) / INFO
    if not path.is_file():
        raise ExportError(f"{folder} is not a folder made by `maaza export`: {path} does not exist")
    try:
        return ExportInfo(**json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, TypeError) as err:
        raise ExportError(f"{path}: not an export record ({err})") from None
