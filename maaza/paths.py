"""Where maaza looks when no path is given: folders relative to the working directory (a clone's root, as make and
CI run it), then the copies installed with the package. Never the package's own location in a checkout.

Usage: ``dataset_dir = default_dataset()``; ``write_run(run, RESULTS)``
"""

from __future__ import annotations

from pathlib import Path

from edgejson.resources import package_data

DATASET = Path("edgejson_dataset")
METRIC = Path("metrics") / "edgejson"
RESULTS = Path("results")
EXPORTS = Path("exports")
RELEASED_ADAPTER = Path("maaza_models") / "maaza-mlm-135m-json"


def default_dataset() -> Path:
    """``edgejson_dataset`` in the working directory, else the dataset installed with the package."""
    return DATASET if (DATASET / "README.md").is_file() else package_data("edgejson_dataset", "README.md").parent


def default_metric() -> Path:
    """``metrics/edgejson`` in the working directory, else the metric installed with maaza."""
    return METRIC if METRIC.exists() else package_data("maaza.metric", "edgejson.py")


def default_adapter() -> Path | None:
    """The released adapter when it is in the working directory, else None."""
    return RELEASED_ADAPTER if (RELEASED_ADAPTER / "adapter_config.json").is_file() else None


def default_export(adapter: str | Path) -> Path:
    """Where ``maaza export`` writes the ONNX folders of ``adapter``: ``exports/<adapter folder name>``."""
    return EXPORTS / Path(adapter).name
