"""Package data, found wherever its package is: a clone, an editable install, site-packages or a staged Space.

Usage: ``schemas = package_data("edgejson_dataset", "schemas")``
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def package_data(package: str, name: str) -> Path:
    """``<folder of package>/<name>``; ``FileNotFoundError`` when the package or that file is not installed."""
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        spec = None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / name).exists():
            return Path(folder) / name
    raise FileNotFoundError(f"{name} is not installed with the {package} package")
