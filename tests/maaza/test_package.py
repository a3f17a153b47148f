"""Importing maaza changes no setting of the process; its commands choose passive OpenMP waits for themselves."""

import os
import subprocess
import sys

import pytest

ENV = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"}


def _wait_policy(imports: str) -> str:
    code = f"import os; {imports}; print(os.environ.get('OMP_WAIT_POLICY'))"
    return subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True, check=True).stdout


def test_importing_maaza_sets_no_environment_variable():
    assert _wait_policy("import maaza; from maaza import BASES, Extractor") == "None\n"


@pytest.mark.parametrize("command", ["maaza.cli", "maaza.harness"])
def test_the_commands_wait_passively(command):
    assert _wait_policy(f"import {command}") == "PASSIVE\n"
