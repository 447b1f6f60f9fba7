"""Damaged store files: one clear FormatError line, never a traceback; a commit heals what it rewrites."""

import hashlib
import json
from dataclasses import replace

import pytest

from logicdistill.errors import FormatError
from logicdistill.functionbase.function import Param
from logicdistill.functionbase.store import FunctionBaseStore
from logicdistill.tasks.base import Stage
from tests.functionbase.sample import double, negate

STAGES = (Stage("act", "the number"),)
PROGRAM = "def select_function(stage, facts):\n    return 'double_it'\n"


def _one_line_error(read, *match):
    with pytest.raises(FormatError) as info:
        read()
    message = str(info.value)
    assert "\n" not in message, message
    for text in match:
        assert text in message, message
    return message


def _function_file(root, name="double_it"):
    return next((root / "functions").glob(f"{name}.*.json"))


def test_truncated_function_file_is_named_and_the_next_commit_heals_it(tmp_path):
    store = FunctionBaseStore(tmp_path)
    store.commit(STAGES, {"double_it": double(), "negate_it": negate()}, PROGRAM)
    damaged = _function_file(tmp_path)
    damaged.write_bytes(damaged.read_bytes()[:40])
    _one_line_error(lambda: store.version(1), damaged.name, "base build")
    # the rebuild rewrites the damaged file (it does not reuse it) and moves CURRENT to a version that reads
    rebuilt = store.commit(STAGES, {"double_it": double(), "negate_it": negate()}, PROGRAM, note="rebuild")
    assert rebuilt.number == 2 and store.current_number() == 2
    assert store.current().functions["double_it"] == double()
    assert store.version(1).functions["double_it"] == double()  # the same content-addressed file, healed


def test_valid_json_with_a_changed_manual_is_caught(tmp_path):
    # the file still parses and still holds the same source: only the recorded hash of the whole file notices
    store = FunctionBaseStore(tmp_path)
    store.commit(STAGES, {"double_it": double()}, None)
    path = _function_file(tmp_path)
    data = json.loads(path.read_text())
    data["manual"]["when_to_use"] = "big: yes"
    path.write_text(json.dumps(data, indent=2) + "\n")
    _one_line_error(lambda: store.current(), path.name, "does not match")


def test_garbled_program_file_is_caught(tmp_path):
    store = FunctionBaseStore(tmp_path)
    store.commit(STAGES, {"double_it": double()}, PROGRAM)
    program = next((tmp_path / "programs").iterdir())
    program.write_bytes(b"\xff\xfe garbage \x00")
    _one_line_error(lambda: store.current(), program.name)
    store.commit(STAGES, {"double_it": double()}, PROGRAM)
    assert store.version(1).program == PROGRAM


def test_same_source_with_a_new_manual_is_stored_not_reused(tmp_path):
    # the old store named function files by their source hash, so a new manual with the same source
    # silently reused the old file (and the old manual)
    store = FunctionBaseStore(tmp_path)
    store.commit(STAGES, {"double_it": double()}, None)
    changed = replace(double(), manual=replace(double().manual, when_to_use="small: yes"))
    assert store.commit(STAGES, {"double_it": changed}, None).functions["double_it"].manual.when_to_use == "small: yes"
    assert store.version(1).functions["double_it"] == double()


def test_current_moves_only_to_a_version_that_reads_back(tmp_path):
    store = FunctionBaseStore(tmp_path)
    store.commit(STAGES, {"double_it": double()}, None, note="good")
    bad = replace(double(), manual=replace(double().manual, params=(Param("state", "blob"),)))
    _one_line_error(lambda: store.commit(STAGES, {"double_it": bad}, None, note="bad"), "unknown type")
    assert store.current_number() == 1 and store.versions() == [1] and store.find("bad") is None


def _write_version(root, number, data):
    path = root / "versions" / f"{number:04d}.json"
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return path


@pytest.mark.parametrize(
    "change",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00garbage\xff",
        "null",
        "[1, 2]",
        {"functions": None},
        {"functions": {"double_it": 7}},
        {"functions": {"double_it": "../../etc/passwd"}},
        {"created_at": None},
        {"stages": None},
        {"stages": ["act"]},
        {"flags": ["x"]},
        {"program": 3},
        {"sha256": "abc"},
    ],
)
def test_garbage_version_files_are_one_clear_line(tmp_path, change):
    store = FunctionBaseStore(tmp_path)
    store.commit(STAGES, {"double_it": double()}, None, note="eq1")
    manifest = json.loads((tmp_path / "versions" / "0001.json").read_text())
    if isinstance(change, dict):
        data = {**manifest, **change, "note": "eq1"}
    else:
        data = change if isinstance(change, bytes) else change.encode()
    path = _write_version(tmp_path, 2, data)
    (tmp_path / "CURRENT").write_text("2\n")
    _one_line_error(lambda: store.current(), "version 2", path.name)
    assert store.find("eq1") == (2 if isinstance(change, dict) else 1)  # find tolerates any garbage


def test_missing_created_at_is_a_clear_error(tmp_path):
    store = FunctionBaseStore(tmp_path)
    store.commit(STAGES, {"double_it": double()}, None)
    path = tmp_path / "versions" / "0001.json"
    manifest = json.loads(path.read_text())
    del manifest["created_at"]
    path.write_text(json.dumps(manifest))
    _one_line_error(lambda: store.version(1), "created_at")


def test_binary_current_and_function_files_are_clear_errors(tmp_path):
    store = FunctionBaseStore(tmp_path)
    store.commit(STAGES, {"double_it": double()}, None)
    (tmp_path / "CURRENT").write_bytes(b"\xff\xfe\x00\x01")
    _one_line_error(lambda: store.current(), "CURRENT", "corrupt")
    (tmp_path / "CURRENT").write_text("1\n")
    _function_file(tmp_path).write_bytes(b"\xff\xfe\x00\x01")
    _one_line_error(lambda: store.current(), "double_it.")


def _old_store(root):
    """A store as written before hashes were recorded: function files named by the source hash."""
    f = double()
    name = f"double_it.{f.source_hash}.json"
    (root / "functions").mkdir(parents=True)
    (root / "programs").mkdir()
    (root / "versions").mkdir()
    (root / "functions" / name).write_text(json.dumps(f.to_dict(), indent=2) + "\n")
    program = hashlib.sha256(PROGRAM.encode()).hexdigest()[:16] + ".py"
    (root / "programs" / program).write_text(PROGRAM)
    manifest = {
        "number": 1,
        "created_at": "2025-01-01T00:00:00+00:00",
        "note": "eq1 by recorded",
        "stages": [{"name": "act", "produces": "the number"}],
        "functions": {"double_it": name},
        "program": program,
        "flags": {},
    }
    _write_version(root, 1, manifest)
    (root / "CURRENT").write_text("1\n")
    return root / "functions" / name


def test_old_versions_without_hashes_still_read_and_are_checked_by_name(tmp_path):
    path = _old_store(tmp_path)
    store = FunctionBaseStore(tmp_path)
    assert store.current().functions["double_it"] == double() and store.current().program == PROGRAM
    assert store.find("eq1 by recorded") == 1
    new = store.extend([negate()], None, note="eq6")  # an old parent extends into a hashed version
    assert set(new.functions) == {"double_it", "negate_it"} and new.program == PROGRAM
    data = json.loads(path.read_text())
    data["source"] = data["source"].replace("* 2", "* 3")
    path.write_text(json.dumps(data))
    _one_line_error(lambda: store.version(1), path.name, "does not match")
    assert store.version(2).functions["double_it"] == double()  # the new version wrote its own file
