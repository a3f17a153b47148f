"""The leaderboard of the committed results: by default a row per released model and zero-shot baseline, greedy and
the card's recommended decoding on each split (through the Space's API); every run behind *show all runs*; a plot
whose names never overlap (its figure, drawn as the Space sends it)."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from maaza.evaluation.results import SPLITS, read_run, results_files
from maaza.evaluation.selection import headline
from release.config import load_release

REPO = Path(__file__).resolve().parents[2]
SPACE = REPO / "spaces" / "edgejson"


@pytest.fixture(scope="module")
def board(space, leaderboard_query):
    return leaderboard_query(space["url"])


@pytest.fixture(scope="module")
def leaderboard():
    """The Space's leaderboard module, imported as app.py imports it."""
    sys.path.insert(0, str(SPACE))
    try:
        import leaderboard

        yield leaderboard
    finally:
        sys.path.remove(str(SPACE))


def overlapping_names(fig: Figure) -> list[tuple[str, str]]:
    """The pairs of texts in the figure's axes whose boxes intersect once the figure is drawn (layout included)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for ax in fig.axes for t in ax.texts if t.get_visible()]
    return [(a, b) for i, (a, box) in enumerate(boxes) for b, other in boxes[i + 1 :] if box.overlaps(other)]


def test_by_default_a_row_per_released_model_and_baseline_from_its_files(board):
    best = headline(read_run(path) for path in results_files(REPO / "results"))
    released = {repo.results.name for repo in load_release(REPO / "release.yaml").repos if repo.results}
    baselines = {label for (label, _, _), run in best.items() if not run.model.adapter}
    rows = {row["Model"]: row for row in board()}
    assert set(rows) == released | baselines and released <= set(rows)
    for label, row in rows.items():
        for split in SPLITS:
            for which, mode in (("greedy", "greedy"), ("recommended", row["Recommended decoding"])):
                run = best.get((label, split, mode))
                assert row[f"{split} {which}"] == (run and round(100 * run.value("scores.json_exact"), 1)), label
    assert board()[0]["Model"] in released  # the best on test comes first


def test_the_recommended_decoding_is_the_cards(board):
    rows = {row["Model"]: row for row in board()}
    for repo in load_release(REPO / "release.yaml").repos:
        if repo.results:
            card = (repo.sources[0].folder / "README.md").read_text(encoding="utf-8")
            (mode,) = re.findall(r"^Recommended: \*\*(.+?)\*\* decoding", card, flags=re.MULTILINE)
            assert rows[repo.results.name]["Recommended decoding"] == mode


def test_all_runs_show_every_run_of_the_split_and_decoding(board):
    best = headline((read_run(path) for path in results_files(REPO / "results")), engines=None)
    rows = board(show_all=True, split="test_unseen")
    assert sorted(row["Model"] for row in rows) == sorted(label for label, split, _ in best if split == "test_unseen")
    assert any(row["Model"].endswith("(onnx q4)") for row in board(show_all=True))
    greedy = board(show_all=True, decoding="greedy")
    assert greedy and {row["Decoding"] for row in greedy} == {"greedy"}


def test_no_two_names_on_the_plot_overlap_and_each_default_model_is_named(leaderboard):
    board = leaderboard.load_leaderboard(REPO / "results", leaderboard.released_adapters())
    for show_all in (False, True):
        for split in board.splits:
            table, fig = board.view("", list(leaderboard.TYPES), 1000, show_all, split, leaderboard.EVERY)
            scored = board.models[board.models[[f"{split} greedy", f"{split} recommended"]].notna().any(axis=1)]
            assert {text.get_text() for text in fig.axes[0].texts} == set(scored["Model"]), (show_all, split)
            assert overlapping_names(fig) == [], (show_all, split)


def test_names_of_models_on_one_point_are_stacked_apart(leaderboard, tmp_path):
    """Six baselines with the same size and score: each is named, none over another."""
    source = REPO / "results" / "smollm2-135m-instruct" / "test-first100.json"
    for i in range(6):
        (tmp_path / "results" / f"twin-{i}").mkdir(parents=True)
        shutil.copy(source, tmp_path / "results" / f"twin-{i}" / source.name)
    board = leaderboard.load_leaderboard(tmp_path / "results", set())
    _, fig = board.view("", list(leaderboard.TYPES), 1000, False, "test", leaderboard.EVERY)
    assert sorted(text.get_text() for text in fig.axes[0].texts) == [f"twin-{i}" for i in range(6)]
    assert overlapping_names(fig) == []
    assert json.loads(source.read_text())["scores"]["json_exact"] == 0.0  # all on the axis: names go above only
