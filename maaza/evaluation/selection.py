"""Which runs the tables show (the headline run of each model, split and mode; the models shown by default) and which
decoding mode a model's card recommends: the one that does best on the held-out splits.

Usage: ``best = headline(read_run(p) for p in results_files(folder))``;
``mode, decided_by = recommended_mode(default_models(runs, released)[label])``
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from maaza.evaluation.results import Run


def headline(runs: Iterable[Run], engines: Collection[str] | None = ("torch",)) -> dict[tuple[str, str, str], Run]:
    """Per (model label, EdgeJSON split, decoding mode): the run on the most examples, the latest among equals.

    Runs on data files are left out: they are no EdgeJSON split, whatever their file is called. Only runs of
    ``engines`` count (None: every engine; the label of a run on another engine than torch names it).
    """
    best: dict[tuple[str, str, bool], Run] = {}
    for run in runs:
        if run.dataset.split is None or engines is not None and run.model.engine not in engines:
            continue
        key = (run.label, run.dataset.split, run.mode)
        rank = (run.dataset.examples, str(run.provenance.get("date", "")))
        if key not in best or rank > (best[key].dataset.examples, str(best[key].provenance.get("date", ""))):
            best[key] = run
    return best


def default_models(runs: Iterable[Run], released: Collection[str]) -> dict[str, dict[tuple[str, str], Run]]:
    """The models that tables show by default, each with its headline runs (:func:`headline`, torch) by (split,
    mode): every released adapter (its label in ``released``) and every zero-shot model, the baselines. Other
    adapters (older releases, experiments) and other engines are left to the full results."""
    models: dict[str, dict[tuple[str, str], Run]] = {}
    for (label, split, mode), run in headline(runs).items():
        if label in released or not run.model.adapter:
            models.setdefault(label, {})[split, mode] = run
    return models


def _exact_on(run: Run, ids: set[str]) -> float:
    """JSONExact of ``run`` over the examples in ``ids``."""
    scores = [example["scores"]["json_exact"] for example in run.examples if example["id"] in ids]
    return sum(scores) / len(scores)


def _preference(run: Run) -> tuple[bool, bool, bool, bool]:
    """How ties between modes break: constrained first (its output is schema-valid by construction), then the mode
    without the key check (it costs a scoring pass), then the one without the span rule, then the one without the
    value check (the fewer rules)."""
    return run.constrained, not run.key_check, not run.spans, not run.value_check


HELD_OUT = (
    "test_unseen",
    "test_styles",
)  # the splits that decide a recommendation: schemas and texts never trained on
DECIDERS = (HELD_OUT, HELD_OUT[:1], HELD_OUT[1:], ("test",))  # in order: the first every compared mode ran decides


def _common_ids(runs: dict[tuple[str, str], Run], split: str, modes: set[str]) -> set[str]:
    """The ids of ``split`` that every mode in ``modes`` scored."""
    ids = [
        {example["id"] for example in run.examples}
        for (on, mode), run in runs.items()
        if on == split and mode in modes
    ]
    return set.intersection(*ids) if len(ids) == len(modes) else set()


def recommended_mode(runs: dict[tuple[str, str], Run]) -> tuple[str, str | None]:
    """The decoding mode a model's card recommends, and what decided it: among the modes run on every split of the
    first of :data:`DECIDERS` that two or more modes ran, the one with the highest JSONExact summed over those splits
    (each on the examples every such mode scored; ties: :func:`_preference`). So the held-out splits decide, together,
    and ``test`` only for a model never run on them in two modes; with no split run in two modes, the preferred mode
    that ran, and nothing decided. What decided it, as the card says it: "`test_unseen` + `test_styles`", or
    "`test` (the 120 examples both modes scored)". ``runs``: one model's, by (split, mode)."""
    for splits in DECIDERS:
        modes = set.intersection(*({mode for on, mode in runs if on == split} for split in splits))
        if len(modes) < 2:
            continue
        common = {split: _common_ids(runs, split, modes) for split in splits}
        if not all(common.values()):
            continue
        best = max(
            (runs[(splits[0], mode)] for mode in modes),
            key=lambda run: (
                sum(_exact_on(runs[(split, run.mode)], common[split]) for split in splits),
                _preference(run),
            ),
        )
        return best.mode, " + ".join(_decided_on(runs, split, modes, common[split]) for split in splits)
    return max(runs.values(), key=_preference).mode, None


def _decided_on(runs: dict[tuple[str, str], Run], split: str, modes: set[str], common: set[str]) -> str:
    """A split as the card names it in what decided the mode: "`test`", or with how many examples decided."""
    every = all(len(runs[(split, mode)].examples) == len(common) for mode in modes)
    some = f" (the {len(common)} examples {'both' if len(modes) == 2 else f'all {len(modes)}'} modes scored)"
    return f"`{split}`" + ("" if every else some)
