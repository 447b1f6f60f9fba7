"""The README works as written: its set-up line installs what its test line needs, CI runs that same line,
and its Python API example runs."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _setup_block() -> list[str]:
    block = README.split("## Set up", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.strip().splitlines()]


def _readme_install() -> list[str]:
    install = _setup_block()[0].split("&&")[0]
    return shlex.split(install)


def _extras(args: list[str]) -> set[str]:
    found = set()
    for arg in args:
        match = re.fullmatch(r"\.\[([a-z,]+)\]", arg)
        if match:
            found |= set(match.group(1).split(","))
    return found


def test_readme_has_exactly_two_commands_install_then_tests():
    lines = _setup_block()
    assert len(lines) == 2 and lines[0].startswith("pip install ") and lines[1] == "python -m pytest"
    assert lines[0].endswith("&& logicdistill demo")


def test_the_install_line_brings_what_the_test_line_needs():
    pyproject = (ROOT / "pyproject.toml").read_text()  # (tomllib is 3.11+; the package supports 3.10)
    extras = _extras(_readme_install())
    required = " ".join(re.search(rf"^{name} = \[(.*?)\]", pyproject, re.M | re.S).group(1) for name in extras)
    for needed in ("pytest", "torch", "transformers"):  # the test suite imports these
        assert needed in required, f"the README's install line leaves out {needed}"
    assert "examples/taxi" in _readme_install()  # examples/taxi/tests import the plugin package


def test_ci_runs_the_readme_install_line_itself():
    ci = (ROOT / ".ci" / "run").read_text()
    installs = [line.split("#")[0].strip() for line in ci.splitlines() if line.startswith("python -m pip install")]
    assert len(installs) == 1
    ci_args = [a for a in shlex.split(installs[0]) if a not in ("--progress-bar", "off")]
    assert ci_args[:2] == ["python", "-m"] and ci_args[2:] == _readme_install()
    assert "python -m pytest" in ci


def test_the_python_api_example_runs(tmp_path):
    code = README.split("### Python API", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    env = os.environ | {"LOGICDISTILL_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "optimal mean return:" in done.stdout and "action_agreement" in done.stdout
    assert (tmp_path / "blackjack.json").is_file()
