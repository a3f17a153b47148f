"""The leaderboard: a row per model, split, decoding and engine, filters, the accuracy-against-size plot, the
reference table.

Every figure is read by ``maaza.evaluation.results`` from the files ``edgejson-eval`` writes under
``results/<model>/``: per model, split and decoding, its run on the most examples. The original release's published
numbers come from ``results/reference/edgejson-v3.json`` and stay in their own table.

Usage: ``table = load_leaderboard(find_dir("results"))``
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402
from paths import find_dir  # noqa: E402

from edgejson.schemas import BANDS  # noqa: E402
from maaza.bases import BASES  # noqa: E402
from maaza.evaluation.results import MODES, ModelInfo, ResultsError, Run, headline, read_run, results_files  # noqa: E402

TYPES = ("fine-tuned adapter", "zero-shot")
DECODINGS = MODES  # greedy, constrained (with the span rule or not), each with the key check, value check or both
COLUMNS = [
    "Model",
    "Type",
    "Decoding",
    "Engine",
    "Params (M)",
    "Size (MB)",
    "JSONExact %",
    "FieldF1",
    "Leaf F1",
    "Valid %",
    *(f"{band.capitalize()} %" for band in BANDS),
    "p50 (s)",
    "Tok/s",
    "N",
    "Machine",
]
HIDDEN = ["Parameters", "Split", "File"]  # for filtering and provenance, not shown


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def size_mb(model: ModelInfo) -> float | None:
    """Size on disk: the results file's ``size_mb`` when it records one, else the registered base's GGUF file (what
    an edge device stores) plus the adapter's weights when the adapter folder is at hand; None when unknown."""
    if model.size_mb is not None:
        return model.size_mb
    base = BASES.get(model.name) or next((b for b in BASES.values() if b.hub_id == model.name), None)
    if base is None:
        return None
    if not model.adapter:
        return base.gguf_mb
    folder = find_dir("maaza_models")
    weights = folder / Path(model.adapter).name / "adapter_model.safetensors" if folder else None
    return round(base.gguf_mb + weights.stat().st_size / 1e6, 1) if weights and weights.is_file() else None


def engine(model: ModelInfo) -> str:
    """The engine and precision a run decoded with (torch runs that record no precision ran in fp32)."""
    return f"{model.engine} {model.precision or ('fp32' if model.engine == 'torch' else '?')}"


def _machine(run: Run) -> str:
    """The run's GPUs, else its CPU and cores (files written before ``gpus`` name one ``gpu``)."""
    machine = run.value("provenance.machine")
    gpus = machine.get("gpus") or ([machine["gpu"]] if machine.get("gpu") else [])
    return ", ".join(gpus) or f"{machine.get('cpu')}, {machine.get('cpu_cores')} cores"


def summarise(run: Run, source: Path) -> dict[str, Any]:
    """One leaderboard row from a run (``edgejson-eval``'s aggregates, performance and provenance)."""
    bands = run.by_complexity
    return {
        "Model": run.label,
        "Type": "fine-tuned adapter" if run.model.adapter else "zero-shot",
        "Decoding": run.mode,
        "Engine": engine(run.model),
        "Params (M)": round(run.model.parameters / 1e6, 1),
        "Size (MB)": size_mb(run.model),
        "JSONExact %": _percent(run.value("scores.json_exact")),
        "FieldF1": round(run.value("scores.field_f1"), 3),
        "Leaf F1": round(run.value("scores.leaf_f1"), 3),
        "Valid %": _percent(run.scores.get("schema_valid")),
        **{f"{band.capitalize()} %": _percent(bands.get(band, {}).get("json_exact")) for band in BANDS},
        "p50 (s)": round(run.value("performance.latency_p50_s"), 2),
        "Tok/s": round(run.value("performance.tokens_per_s"), 1),
        "N": run.dataset.examples,
        "Machine": _machine(run),
        "Parameters": run.model.parameters,
        "Split": run.dataset.split,
        "File": str(source),
    }


def load_leaderboard(results_dir: Path | None) -> tuple[pd.DataFrame, list[str]]:
    """The headline run of every model, split and decoding under ``results_dir`` as a row, best JSONExact first,
    and a message for each file that could not be read (it is left out)."""
    runs, rows, problems = [], [], []
    for path in results_files(results_dir):
        try:
            runs.append(read_run(path))
        except ResultsError as err:
            problems.append(str(err))
    for run in headline(runs, engines=None).values():
        try:
            rows.append(summarise(run, run.path.relative_to(results_dir.parent)))
        except ResultsError as err:
            problems.append(str(err))
    table = pd.DataFrame(rows, columns=COLUMNS + HIDDEN)
    return table.sort_values(["JSONExact %", "Model"], ascending=[False, True], ignore_index=True), problems


def filter_leaderboard(
    table: pd.DataFrame, split: str, query: str, types: list[str], decodings: list[str], max_params_m: float
) -> pd.DataFrame:
    """The rows of one split matching the search text (model name), the types, decodings and the size limit."""
    keep = (
        (table["Split"] == split)
        & table["Model"].str.contains(query.strip(), case=False, regex=False)
        & table["Type"].isin(types)
        & table["Decoding"].isin(decodings)
        & (table["Parameters"] <= max_params_m * 1e6)
    )
    return table.loc[keep, COLUMNS].reset_index(drop=True)


def accuracy_plot(rows: pd.DataFrame) -> Figure:
    """JSONExact against parameters (log scale), one marker per row, each model named once."""
    fig, ax = plt.subplots(figsize=(9, 3.8), dpi=110, layout="constrained")
    markers = {"fine-tuned adapter": "o", "zero-shot": "s"}
    # One hue per decoding, a lighter shade of it with the value check (DECODINGS lists those second, same order)
    half = len(DECODINGS) // 2
    colours = {mode: plt.get_cmap("tab20")(2 * (i % half) + i // half) for i, mode in enumerate(DECODINGS)}
    for (kind, decoding), group in rows.groupby(["Type", "Decoding"]):
        ax.scatter(
            group["Params (M)"],
            group["JSONExact %"],
            s=70,
            marker=markers[kind],
            color=colours[decoding],
            label=f"{kind}, {decoding} decoding",
            zorder=3,
        )
    best = rows.sort_values("JSONExact %", ascending=False).drop_duplicates("Model").sort_values("Params (M)")
    for i, (_, row) in enumerate(best.iterrows()):  # one label per model, at its best row; neighbours' labels stagger
        stagger = 0 if i % 2 == 0 else (-16 if row["JSONExact %"] > 10 else 11)
        ax.annotate(
            row["Model"],
            (row["Params (M)"], row["JSONExact %"]),
            xytext=(6, 5 + stagger),
            fontsize=8,
            textcoords="offset points",
        )
    ax.set_xscale("log")
    ax.set_xlim(50, 5000)
    ax.set_xticks([100, 200, 500, 1000, 2000], ["100M", "200M", "500M", "1B", "2B"])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("parameters (log scale)")
    ax.set_ylabel("JSONExact (%)")
    ax.set_ylim(0, 100)
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title("JSONExact against model size", fontsize=10)
    if len(rows):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    else:
        ax.text(0.5, 0.5, "no results match the filters", ha="center", va="center", transform=ax.transAxes)
    plt.close(fig)
    return fig


def load_reference(results_dir: Path | None) -> tuple[pd.DataFrame, str]:
    """The original release's published numbers (``reference/edgejson-v3.json``) as a table, and its caveat."""
    path = results_dir / "reference" / "edgejson-v3.json" if results_dir else None
    if path is None or not path.is_file():
        return pd.DataFrame(), "The original release's reference numbers are not available here."
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = [
        {
            "Model": entry["model"],
            "Type": entry["type"],
            "Params (M)": entry["params_m"],
            "Size (MB)": entry["size_mb"],
            "JSONExact %": _percent(entry["json_exact"]),
            "FieldF1": entry["field_f1"],
            **{f"{band.capitalize()} %": _percent(entry.get("by_complexity", {}).get(band)) for band in BANDS},
            "Note": "published as approximate (~)" if entry.get("approximate") else "",
        }
        for entry in data["models"]
    ]
    return pd.DataFrame(rows), f"{data['note']} Source: {data['source']} Test set: {data['test_set']}"
