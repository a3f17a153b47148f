"""The leaderboard: by default a row per released adapter and per zero-shot baseline, with JSONExact greedy and in
its recommended decoding on each split side by side; with *show all runs*, a row per model, split, decoding and
engine (older releases and ONNX builds included). Beside it, the accuracy-against-size plot and the reference table.

Every figure is read by ``maaza.evaluation.results`` from the files ``edgejson-eval`` writes under
``results/<model>/``: per model, split and decoding, its run on the most examples. The released adapters are those
the Space ships (``maaza_models/<name>/``, staged from the model repos of ``release.yaml``); the recommended decoding
is their card's (``recommended_mode``). The original release's published numbers come from
``results/reference/edgejson-v3.json`` and stay in their own table.

Usage: ``board = load_leaderboard(find_dir("results"), released_adapters()); table, plot = board.view(...)``
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter
from matplotlib.transforms import Bbox
from paths import find_dir

from edgejson.schemas import BANDS
from maaza.bases import BASES
from maaza.evaluation.results import (
    MODES,
    SPLITS,
    ModelInfo,
    ResultsError,
    Run,
    decoding_mode,
    read_run,
    results_files,
)
from maaza.evaluation.selection import default_models, headline, recommended_mode

TYPES = ("fine-tuned adapter", "zero-shot")
GREEDY = decoding_mode(False)
EVERY = "every decoding"  # the Decoding filter's first choice
SCORES = [f"{split} {which}" for split in SPLITS for which in ("greedy", "recommended")]  # JSONExact (%)
MODEL_COLUMNS = ["Model", "Params (M)", *SCORES, "Recommended decoding", "Type", "N"]
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
HIDDEN = ["Parameters", "Split", "File", "Default"]  # for filtering, provenance and the plot's labels, not shown
STYLE = {TYPES[0]: ("tab:blue", "o"), TYPES[1]: ("tab:orange", "s")}  # colour and marker per type
# Where a point's name may go, in points from it: level first, then ever further above or below, right before left
NUDGES = tuple((side * 7, rise) for rise in (0, 11, -11, 22, -22, 33, -33, 44, -44, 55, -55) for side in (1, -1))


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def released_adapters() -> set[str]:
    """The adapters the Space ships (``maaza_models/<name>/adapter_config.json``): the release's models."""
    folder = find_dir("maaza_models")
    return {path.parent.name for path in folder.glob("*/adapter_config.json")} if folder else set()


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


def _kind(model: ModelInfo) -> str:
    return TYPES[0] if model.adapter else TYPES[1]


def summarise(run: Run, source: Path) -> dict[str, Any]:
    """One row of all runs from a run (``edgejson-eval``'s aggregates, performance and provenance)."""
    bands = run.by_complexity
    return {
        "Model": run.label,
        "Type": _kind(run.model),
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


def model_row(label: str, runs: dict[tuple[str, str], Run]) -> dict[str, Any]:
    """One row of the default view: a model's JSONExact per split, greedy and in its recommended decoding, and the
    examples each split's runs scored (``600 · 180 · 300``, ``120/600`` where the two runs scored different counts)."""
    mode, _ = recommended_mode(runs)
    model = next(iter(runs.values())).model
    row = {
        "Model": label,
        "Type": _kind(model),
        "Params (M)": round(model.parameters / 1e6, 1),
        "Recommended decoding": mode,
    }
    counts = []
    for split in SPLITS:
        shown = {"greedy": runs.get((split, GREEDY)), "recommended": runs.get((split, mode))}
        for which, run in shown.items():
            row[f"{split} {which}"] = _percent(run.value("scores.json_exact")) if run else None
        counts.append("/".join(sorted({str(run.dataset.examples) for run in shown.values() if run}, key=int)) or "–")
    return {**row, "N": " · ".join(counts), "Parameters": model.parameters}


def read_runs(results_dir: Path | None) -> tuple[list[Run], list[str]]:
    """Every run under ``results_dir``, and a message for each file that could not be read (it is left out)."""
    runs, problems = [], []
    for path in results_files(results_dir):
        try:
            runs.append(read_run(path))
        except ResultsError as err:
            problems.append(str(err))
    return runs, problems


def _sorted(table: pd.DataFrame, score: str) -> pd.DataFrame:
    return table.sort_values([score, "Model"], ascending=[False, True], ignore_index=True, na_position="last")


@dataclass(frozen=True)
class Leaderboard:
    """The default view's rows (``models``), every run's (``runs``) and the files that could not be read."""

    models: pd.DataFrame
    runs: pd.DataFrame
    problems: list[str]

    @property
    def splits(self) -> list[str]:
        """The splits to pick from: the tables' splits, then any other split a run scored."""
        return [*SPLITS, *sorted(set(self.runs["Split"]) - set(SPLITS))]

    def view(
        self, query: str, types: list[str], limit: float, show_all: bool, split: str, decoding: str
    ) -> tuple[pd.DataFrame, Figure]:
        """The table and the plot for the filters: rows whose model name holds ``query``, of ``types``, with at most
        ``limit`` million parameters; with ``show_all``, every run of ``split`` in ``decoding`` (or ``EVERY``)."""
        table = self.runs if show_all else self.models
        keep = (
            table["Model"].str.contains(query.strip(), case=False, regex=False)
            & table["Type"].isin(types)
            & (table["Parameters"] <= limit * 1e6)
        )
        if not show_all:
            rows = table[keep]
            return rows[MODEL_COLUMNS].reset_index(drop=True), models_plot(rows, split)
        rows = table[keep & (table["Split"] == split) & ((table["Decoding"] == decoding) | (decoding == EVERY))]
        return rows[COLUMNS].reset_index(drop=True), runs_plot(rows, split)


def load_leaderboard(results_dir: Path | None, released: set[str]) -> Leaderboard:
    """The leaderboard of the files under ``results_dir``; ``released``: the released adapters' labels."""
    runs, problems = read_runs(results_dir)
    models = default_models(runs, released)
    rows = []
    for run in headline(runs, engines=None).values():
        try:
            rows.append({**summarise(run, run.path.relative_to(results_dir.parent)), "Default": run.label in models})
        except ResultsError as err:
            problems.append(str(err))
    every = pd.DataFrame(rows, columns=COLUMNS + HIDDEN)
    default = pd.DataFrame([model_row(*item) for item in models.items()], columns=MODEL_COLUMNS + ["Parameters"])
    return Leaderboard(_sorted(default, "test recommended"), _sorted(every, "JSONExact %"), problems)


def _axes(split: str) -> tuple[Figure, Axes]:
    """A figure (no pyplot: nothing kept between requests) with JSONExact against parameters on a log scale."""
    fig = Figure(figsize=(9, 3.8), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_xlim(50, 5000)
    ax.set_xticks([100, 200, 500, 1000, 2000], ["100M", "200M", "500M", "1B", "2B"])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("parameters (log scale)")
    ax.set_ylabel("JSONExact (%)")
    ax.set_ylim(0, 100)
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(f"JSONExact on {split} against model size", fontsize=10)
    return fig, ax


def models_plot(rows: pd.DataFrame, split: str) -> Figure:
    """The default view's plot: per model, its greedy score (hollow) and its recommended decoding's (filled) on
    ``split``, joined, and its name."""
    fig, ax = _axes(split)
    nothing = pd.Series(np.nan, index=rows.index)  # a split outside SPLITS has no column here
    greedy, best = rows.get(f"{split} greedy", nothing), rows.get(f"{split} recommended", nothing)
    kinds = [kind for kind in TYPES if (rows["Type"] == kind).any()]
    for kind in kinds:
        colour, marker = STYLE[kind]
        mine = rows["Type"] == kind
        both = mine & greedy.notna() & best.notna()
        ax.vlines(rows.loc[both, "Params (M)"], greedy[both], best[both], colors=colour, lw=1, alpha=0.6, zorder=2)
        ax.scatter(
            rows.loc[mine, "Params (M)"],
            greedy[mine],
            s=70,
            marker=marker,
            facecolors="white",
            edgecolors=colour,
            zorder=3,
        )
        ax.scatter(rows.loc[mine, "Params (M)"], best[mine], s=70, marker=marker, color=colour, zorder=4)
    handles = [Line2D([], [], ls="", marker=STYLE[kind][1], color=STYLE[kind][0], label=kind) for kind in kinds]
    handles += [
        Line2D([], [], ls="", marker="o", mfc="white", mec="0.4", label="greedy"),
        Line2D([], [], ls="", marker="o", color="0.4", label="recommended decoding"),
    ]
    shown = best.fillna(greedy)  # a model is named at its recommended decoding's score, else its greedy one
    named = rows[shown.notna()]
    names = list(zip(named["Model"], named["Params (M)"], shown[shown.notna()], strict=True))
    return _finish(fig, ax, handles if names else [], names)


def runs_plot(rows: pd.DataFrame, split: str) -> Figure:
    """The plot of all runs on ``split``: a marker per run, coloured by decoding; only the default view's models are
    named, each at its best run (older releases and builds would bury the names under each other)."""
    fig, ax = _axes(split)
    # One hue per decoding, a lighter shade of it with the value check (MODES lists those second, same order)
    half = len(MODES) // 2
    colours = {mode: matplotlib.colormaps["tab20"](2 * (i % half) + i // half) for i, mode in enumerate(MODES)}
    for (kind, decoding), group in rows.groupby(["Type", "Decoding"]):
        ax.scatter(
            group["Params (M)"], group["JSONExact %"], s=50, marker=STYLE[kind][1], color=colours[decoding], zorder=3
        )
    handles = [
        Line2D([], [], ls="", marker="o", color=colours[mode], label=mode)
        for mode in MODES
        if mode in set(rows["Decoding"])
    ]
    handles += [
        Line2D([], [], ls="", marker=STYLE[kind][1], color="0.4", label=kind)
        for kind in TYPES
        if kind in set(rows["Type"])
    ]
    best = rows[rows["Default"]].sort_values("JSONExact %", ascending=False).drop_duplicates("Model")
    names = [(row["Model"], row["Params (M)"], row["JSONExact %"]) for _, row in best.iterrows()]
    return _finish(fig, ax, handles, names)


def _finish(fig: Figure, ax: Axes, handles: list[Any], names: list[tuple[str, float, float]]) -> Figure:
    """The legend (or a note that nothing matches), the layout made once and kept, then the names placed."""
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    else:
        ax.text(0.5, 0.5, "no results match the filters", ha="center", va="center", transform=ax.transAxes)
    fig.draw_without_rendering()  # constrained layout places the axes and the legend once...
    fig.set_layout_engine("none")  # ...and they stay there, so the names are placed where they are drawn
    place_names(ax, names)
    return fig


def place_names(ax: Axes, names: list[tuple[str, float, float]]) -> None:
    """Write each name beside its point, at the first of ``NUDGES`` where it stays inside the axes and overlaps no
    marker and no name written before it; a name with no such place is left out (the table names every row)."""
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken = _marker_boxes(ax)
    for name, x, y in names:
        for dx, dy in NUDGES:
            text = ax.annotate(
                name,
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                fontsize=8,
                va="center",
                ha="left" if dx > 0 else "right",
            )
            box = text.get_window_extent(renderer)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(other) for other in taken):
                taken.append(box)
                break
            text.remove()


def _marker_boxes(ax: Axes) -> list[Bbox]:
    """The box each scatter marker of ``ax`` covers, in display coordinates."""
    boxes = []
    for points in ax.collections:
        if not isinstance(points, PathCollection):  # the lines joining greedy and recommended scores
            continue
        half = np.sqrt(points.get_sizes()[0]) / 2 * ax.figure.dpi / 72
        centres = points.get_offset_transform().transform(np.ma.filled(points.get_offsets(), np.nan))
        boxes += [
            Bbox.from_bounds(x - half, y - half, 2 * half, 2 * half) for x, y in centres if np.isfinite([x, y]).all()
        ]
    return boxes


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
