"""Importing the package: torch threads are told to wait passively, unless the user chose otherwise."""

import os
import subprocess
import sys


def _policy_after_import(env: dict[str, str]) -> str:
    code = "import logicdistill, os; print(os.environ['OMP_WAIT_POLICY'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip()


def test_passive_wait_by_default_and_the_users_choice_wins():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert _policy_after_import(env) == "PASSIVE"
    assert _policy_after_import(env | {"OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"
