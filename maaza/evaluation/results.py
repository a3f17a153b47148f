"""The results file of one evaluation run: its name, its typed record, its atomic write, and the one reader that the
model card, the README table and the leaderboard use.

A file is named after everything that tells runs apart, so two different runs never share one:
``<model>/<data>[-constrained][-spans][-keycheck][-valuecheck][-<engine>-<precision>][-first<N>].json``, where
``<model>`` is the adapter's folder name (else the model's), ``<data>`` the EdgeJSON split or, for a data file, its
stem and the fingerprint of its rows, ``-spans`` marks constrained decoding with the span rule
(``maaza.inference.spans``), ``-keycheck`` a run with the optional-key check (``maaza.checks.keys``), ``-valuecheck``
one with the value check (``maaza.checks.values``), ``-<engine>-<precision>`` a run on another engine than torch
(``-onnx-int4``), and ``-first<N>`` a run on the first N rows only.

Which runs the tables show and which mode a card recommends: ``maaza.evaluation.selection``.

Usage: ``path = write_run(run, Path("results"))``; ``runs = [read_run(p) for p in results_files(folder)]``
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from maaza.checks import keys, values
from maaza.checks.rules import listed
from maaza.inference.decoding import Decoding

EDGEJSON = "edgejson_dataset"  # ``dataset.source`` of a run on an EdgeJSON split
REFERENCE = "reference"  # results/reference/: published numbers of other releases, not runs


class ResultsError(ValueError):
    """A results file that cannot be read or written; the message names the file and what is wrong."""


@dataclass(frozen=True)
class ModelInfo:
    """The model a run scored: base (registry name, folder or Hub id), its size, and the adapter merged into it."""

    name: str
    parameters: int
    adapter: str | None = None
    hub_id: str | None = None
    adapter_sha256: str | None = None
    size_mb: float | None = None  # on disk, when the run records it
    engine: str = "torch"  # or "onnx" / "llamacpp" / "browser": on a folder made by ``maaza export``
    precision: str | None = None  # of the weights the engine ran: fp32, int4, ...
    export: str | None = None  # the ONNX folder an onnx run loaded

    @property
    def label(self) -> str:
        return model_label(self.name, self.adapter)

    @property
    def variant(self) -> str:
        """The engine part of a results file's name: empty for torch, else ``<engine>-<precision>``."""
        return "" if self.engine == "torch" else f"{self.engine}-{self.precision}"


@dataclass(frozen=True)
class DataInfo:
    """The rows a run scored: an EdgeJSON split (``split``) or a data file (``split`` None, ``source`` the file)."""

    split: str | None
    examples: int
    source: str = EDGEJSON
    sha256: str | None = None  # of the split's or data file's bytes
    fingerprint: str | None = None  # of every row as evaluated, schemas resolved: a data file's identity
    schemas: str | None = None  # the --schemas folder of a data file
    limit: int | None = None  # N when the run covered only the first N rows

    @property
    def name(self) -> str:
        """The data part of the file name: the split, or the data file's stem and row fingerprint."""
        return self.split or f"{Path(self.source).stem}-{(self.fingerprint or self.sha256 or 'unknown')[:10]}"


@dataclass
class Run:
    """One results file: what ran (model, data, decoding), its scores, speed, provenance and every example."""

    model: ModelInfo
    dataset: DataInfo
    decoding: dict[str, Any]
    scores: dict[str, Any]
    by_complexity: dict[str, Any] = field(default_factory=dict)
    by_schema: dict[str, Any] = field(default_factory=dict)
    performance: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)
    path: Path | None = field(default=None, compare=False)  # the file it was read from

    @property
    def constrained(self) -> bool:
        return bool(self.decoding.get("constrained"))

    @property
    def key_check(self) -> bool:
        """Whether the run dropped the optional keys its model found unlikely (``maaza.checks.keys``)."""
        return bool(self.decoding.get("key_check"))

    @property
    def spans(self) -> bool:
        """Whether constrained decoding kept free-form strings to spans of the text (``maaza.inference.spans``)."""
        return bool(self.decoding.get("spans"))

    @property
    def value_check(self) -> bool:
        """Whether the run held the answers' values to the text (``maaza.checks.values``)."""
        return bool(self.decoding.get("value_check"))

    @property
    def mode(self) -> str:
        """The run's decoding, as :func:`decoding_mode` names it."""
        return decoding_mode(self.constrained, self.key_check, self.spans, self.value_check)

    @property
    def budget_rule(self) -> str:
        """How the run set each answer's token budget: ``"schema + text"`` (known at inference time, the rule since
        0.2) or ``"expected answer"`` (runs made before it, from what a user of the model does not have)."""
        return "expected answer" if "expected answer" in str(self.decoding.get("max_new_tokens")) else "schema + text"

    @property
    def label(self) -> str:
        """The model's name on the leaderboard: its folder in ``results/`` (else the model's label), and the engine and
        precision when the engine is not torch."""
        label = self.path.parent.name if self.path else self.model.label
        return f"{label} ({self.model.engine} {self.model.precision})" if self.model.variant else label

    def value(self, dotted: str) -> Any:
        """The field at ``dotted`` (``"performance.tokens_per_s"``); ``ResultsError`` naming the file when absent."""
        value: Any = self
        for key in dotted.split("."):
            value = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
            if value is None:
                raise ResultsError(f"{self.path or 'results'}: no field {dotted!r}")
        return value

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        del record["path"]
        return record

    @classmethod
    def from_dict(cls, data: Any, path: Path | None = None) -> Run:
        """A run from a results file's JSON; ``ResultsError`` naming the file and the first field missing."""

        def need(dotted: str, kind: type | tuple[type, ...]) -> Any:
            value = data
            for key in dotted.split("."):
                if not isinstance(value, dict) or key not in value:
                    raise ResultsError(f"{path or 'results'}: no field {dotted!r}")
                value = value[key]
            if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
                raise ResultsError(f"{path or 'results'}: field {dotted!r} is not {_kind(kind)}")
            return value

        model, dataset = need("model", dict), need("dataset", dict)
        source = dataset.get("source") or EDGEJSON
        return cls(
            model=ModelInfo(
                name=need("model.name", str),
                parameters=need("model.parameters", int),
                adapter=need("model.adapter", (str, type(None))),
                hub_id=model.get("hub_id"),
                adapter_sha256=model.get("adapter_sha256"),
                size_mb=model.get("size_mb"),
                engine=model.get("engine") or "torch",
                precision=model.get("precision"),
                export=model.get("export"),
            ),
            dataset=DataInfo(
                # a data file's runs were once recorded under its stem: never an EdgeJSON split
                split=need("dataset.split", (str, type(None))) if source == EDGEJSON else None,
                examples=need("dataset.examples", int),
                source=source,
                sha256=dataset.get("sha256"),
                fingerprint=dataset.get("fingerprint"),
                schemas=dataset.get("schemas"),
                limit=dataset.get("limit"),
            ),
            decoding={**need("decoding", dict), "constrained": need("decoding.constrained", bool)},
            scores=need("scores", dict),
            by_complexity=data.get("by_complexity") or {},
            by_schema=data.get("by_schema") or {},
            performance=data.get("performance") or {},
            provenance=data.get("provenance") or {},
            examples=data.get("examples") or [],
            path=path,
        )


def _kind(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", bool: "true or false", dict: "an object", type(None): "null"}
    return " or ".join(names[k] for k in (kind if isinstance(kind, tuple) else (kind,)))


def model_label(name: str, adapter: str | None = None) -> str:
    """A model's name in ``results/`` and on the leaderboard: the adapter's folder, else the model's."""
    return Path(adapter or name).name or name


def decoding_mode(constrained: bool, key_check: bool = False, spans: bool = False, value_check: bool = False) -> str:
    """A decoding as the card, the README and the leaderboard name it: ``greedy`` or ``constrained``, followed by
    ``+ spans`` when constrained decoding kept to the span rule, ``+ key check`` when the optional-key check ran and
    ``+ value check`` when the value check did."""
    parts = [
        "constrained" if constrained else "greedy",
        "spans" if spans else "",
        "key check" if key_check else "",
        "value check" if value_check else "",
    ]
    return " + ".join(part for part in parts if part)


# The options of a decoding mode, as ``maaza extract`` and ``edgejson-eval`` explain them.
OPTION_HELP = {
    "constrained": "make the output follow the JSON Schema",
    "spans": "with --constrained: each free-form string value must be a span of the text (torch engine)",
    "key_check": f"drop optional keys the model finds the answer likelier without; rules: {listed(keys.RULES)}",
    "value_check": f"hold values to what the text states; rules: {listed(values.RULES)}",
}
MODES = tuple(  # every decoding a run may have, in the order tables list them (the span rule is part of constrained)
    mode
    for value in (False, True)
    for mode in (
        *(
            decoding_mode(constrained, check, value_check=value)
            for check in (False, True)
            for constrained in (False, True)
        ),
        *(decoding_mode(True, check, spans=True, value_check=value) for check in (False, True)),
    )
)
# Every (split, mode) a results table reports, in its order: the model card's (all) and the README's (some of them).
# The splits tables report, each in every mode: seen schemas, held-out schemas, held-out text styles.
SPLITS = ("test", "test_unseen", "test_styles")
RUNS = tuple((split, mode) for split in SPLITS for mode in MODES)
# The parts of a results file's name for its mode, in the order the name gives them
MODE_PARTS = CONSTRAINED, SPANS, KEY_CHECK, VALUE_CHECK = "constrained", "spans", "keycheck", "valuecheck"
# A results file's name (:func:`results_path`), as pages that explain the results say it.
FILE_NAME = "<split>" + "".join(f"[-{part}]" for part in MODE_PARTS) + "[-<engine>-<precision>][-first<N>].json"


def file_mode(path: str | Path) -> str:
    """The decoding mode that a results file's name (:func:`results_path`) records."""
    parts = Path(path).stem.split("-")
    return decoding_mode(CONSTRAINED in parts, KEY_CHECK in parts, SPANS in parts, VALUE_CHECK in parts)


def results_path(results_dir: Path, label: str, dataset: DataInfo, decoding: Decoding, variant: str = "") -> Path:
    """``<results_dir>/<label>/<data>[-constrained][-spans][-keycheck][-valuecheck][-<variant>][-first<N>].json``:
    the one file of a run that decoded as ``decoding``; ``variant``: :attr:`ModelInfo.variant`."""
    first = f"first{dataset.limit}" if dataset.limit else ""
    used = (decoding.constrained, decoding.spans, decoding.key_check, decoding.value_check)
    mode = [part if on else "" for part, on in zip(MODE_PARTS, used, strict=True)]
    parts = [dataset.name, *mode, variant, first]
    return Path(results_dir) / label / f"{'-'.join(part for part in parts if part)}.json"


def check_writable(path: Path) -> None:
    """Make sure a results file can be written at ``path`` (its folders created); ``ResultsError`` saying why not.

    Run before generation, so that a run is never lost for want of a place to write it.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise ResultsError(f"cannot write results to {path}: it is a folder")
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except (FileExistsError, NotADirectoryError):
        blocker = next(p for p in path.parents if p.exists())
        raise ResultsError(f"cannot write results under {path.parent}: {blocker} is a file, not a folder") from None
    except OSError as err:
        raise ResultsError(f"cannot write results in {path.parent}: {err.strerror}") from None


def _umask() -> int:
    """The process's umask (read by setting it, then setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_run(run: Run, path: Path) -> Path:
    """Write ``run`` to ``path`` atomically: a temporary file beside it, then renamed over it.

    An existing file is either replaced whole or left as it was; non-ASCII text is escaped, so an answer holding half
    of a surrogate pair is written like any other. The file is readable as one ``open`` makes it (mode 0o666 less the
    umask), not private to its writer as a temporary file is.
    """
    text = json.dumps(run.to_dict(), indent=1, ensure_ascii=True) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_run(path: Path) -> Run:
    """The run in a results file; ``ResultsError`` naming the file when it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise ResultsError(f"{path}: cannot be read ({err.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ResultsError(f"{path}: not valid JSON ({err})") from None
    return Run.from_dict(data, Path(path))


def results_files(results_dir: Path | None) -> list[Path]:
    """Every results file under ``results_dir`` (``<model>/*.json``), the reference folder aside, sorted."""
    if results_dir is None or not Path(results_dir).is_dir():
        return []
    return [p for p in sorted(Path(results_dir).glob("*/*.json")) if p.parent.name != REFERENCE]
