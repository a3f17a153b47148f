"""Importing maaza or its commands changes no setting of the process; the commands choose passive OpenMP waits for
themselves in ``main()``, before torch loads OpenMP."""

import os
import subprocess
import sys

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
