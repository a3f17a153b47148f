"""Importing maaza or its commands changes no setting of the process; the commands choose passive OpenMP waits for
themselves in ``main()``, before torch loads OpenMP. The package has no import cycle, and no module of the shipped
code is over MAX_MODULE_LINES lines."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ENV = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"}
COMMANDS = ["maaza.cli", "maaza.evaluation.harness", "maaza.evaluation.curve"]


def _python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True, check=True).stdout


def test_importing_maaza_sets_no_environment_variable():
    code = "import os; before = dict(os.environ); import maaza; from maaza import BASES, Extractor; "
    assert _python(code + "print(dict(os.environ) == before)") == "True\n"


@pytest.mark.parametrize("module", COMMANDS)
def test_importing_a_command_changes_no_environment_variable_and_loads_no_torch(module):
    code = f"import os, sys; before = dict(os.environ); import {module}; "
    assert _python(code + "print(dict(os.environ) == before, 'torch' in sys.modules)") == "True False\n"


@pytest.mark.parametrize("module", COMMANDS)
def test_the_commands_wait_passively(module):
    code = (
        f"import contextlib, io, os, sys, {module}\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    {module}.main(['--help'])\n"
        "print(os.environ.get('OMP_WAIT_POLICY'))"
    )
    assert _python(code) == "PASSIVE\n"


def test_the_checks_load_no_torch():
    code = "import sys, maaza.checks.values, maaza.checks.keys; print('torch' in sys.modules)"
    assert _python(code) == "False\n"


ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    """The maaza modules a module imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("maaza.") and name != "maaza.metric"}


def test_no_import_cycle_in_maaza():
    modules = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): path
        for path in (ROOT / "maaza").rglob("*.py")
    }
    graph = {name: _imports(path) & set(modules) for name, path in modules.items()}

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, " -> ".join((*trail[trail.index(name) :], name))
        for imported in graph[name]:
            visit(imported, (*trail, name))

    for name in graph:
        visit(name, ())


MAX_MODULE_LINES = 400


def test_no_module_is_longer_than_max_module_lines():
    """No module of the shipped code (maaza/, spaces/, release/) runs over MAX_MODULE_LINES lines: a longer one is
    split into modules named for what they do."""
    long = [
        f"{path.relative_to(ROOT)} ({lines} lines)"
        for folder in ("maaza", "spaces", "release")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, "split into modules named for what they do: " + ", ".join(long)
