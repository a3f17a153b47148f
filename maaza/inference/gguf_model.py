"""The model of the llamacpp engine (``maaza.inference.engines``): a folder made by ``maaza export --precision gguf``
(the base's own GGUF file and the adapter as a GGUF LoRA file) run by llama.cpp through ``llama-cpp-python``, greedily,
one request at a time. Its tokenizer is the base's, so its prompts are the torch engine's, token for token.

Usage: ``Extractor.load("exports/maaza-mlm-135m-json/gguf", decoding=Decoding(engine="llamacpp"))``
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from maaza.export.info import GGUF_PRECISIONS, ExportError, ExportInfo, read_export_info


def require_llama_cpp() -> ModuleType:
    """The ``llama_cpp`` module; ``ExportError`` saying how to install it when it is missing."""
    try:
        import llama_cpp
    except ImportError:
        raise ExportError(
            "llama-cpp-python is not installed: pip install 'edgejson-maaza[llamacpp]' (it compiles llama.cpp, some "
            "minutes)"
        ) from None
    return llama_cpp


def gguf_files(folder: str | os.PathLike) -> tuple[ExportInfo, Path, Path]:
    """A GGUF folder's export info, base file and LoRA file; ``ExportError`` when it is no such folder."""
    folder = Path(folder)
    info = read_export_info(folder)
    if info.precision not in GGUF_PRECISIONS:
        raise ExportError(
            f"{folder} is not a GGUF folder (`maaza export --precision gguf`): its precision is {info.precision}"
        )
    base = folder / f"{info.base}.gguf"
    loras = [path for path in sorted(folder.glob("*.gguf")) if path != base]
    if not base.is_file() or len(loras) != 1:
        raise ExportError(f"{folder} should hold {base.name} and one GGUF LoRA file: build it again")
    return info, base, loras[0]


class GgufModel:
    """A GGUF folder made by ``maaza export``: the base file with the LoRA file applied, its context and EOS id."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.info, base, lora = gguf_files(folder)
        llama_cpp = require_llama_cpp()
        threads = len(os.sched_getaffinity(0))
        self.llm = llama_cpp.Llama(
            model_path=str(base),
            lora_path=str(lora),
            n_ctx=0,  # the base's own context
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )
        self.precision = self.info.precision
        self.context: int = self.llm.n_ctx()
        self.eos_token_id: int = self.llm.token_eos()

    def num_parameters(self) -> int:
        return self.info.parameters

    def greedy(self, prompt: list[int]) -> Iterator[int]:
        """The tokens llama.cpp picks after ``prompt``, greedily, for as long as they are asked for."""
        yield from self.llm.generate(prompt, top_k=1, temp=0.0, repeat_penalty=1.0, reset=True)
