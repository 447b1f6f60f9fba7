"""Run from the main repository (``python -m pytest``) the plugin's tests import it from its source folder
when it is not installed; installed (``pip install -e examples/taxi``), the installed one is used."""

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("logicdistill_taxi") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
