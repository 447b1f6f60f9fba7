import json

import pytest

from logicdistill.errors import FormatError, UserError
from logicdistill.functionbase.function import function_from_dict
from logicdistill.functionbase.store import FunctionBaseStore
from logicdistill.tasks.base import Stage
from tests.functionbase.sample import double, negate

STAGES = (Stage("act", "the number"),)


def test_versions_are_kept_and_extend_replaces_by_name(tmp_path):
    store = FunctionBaseStore(tmp_path)
    assert store.current() is None
    v1 = store.commit(STAGES, {"double_it": double()}, "def select_function(stage, facts):\n    return 'double_it'\n")
    v2 = store.extend([negate()], None, note="eq6 test")
    assert (v1.number, v2.number) == (1, 2)
    assert set(store.version(1).functions) == {"double_it"}
    assert set(store.current().functions) == {"double_it", "negate_it"}
    assert store.current().program == v1.program  # kept when the extension brings none
    assert store.find("eq6 test") == 2 and store.find("nothing") is None
    v3 = store.extend([negate()], None, note="again", parent=store.version(1))
    assert set(v3.functions) == {"double_it", "negate_it"} and store.versions() == [1, 2, 3]


def test_function_round_trips_through_json(tmp_path):
    store = FunctionBaseStore(tmp_path)
    store.commit(STAGES, {"double_it": double()}, None)
    assert store.current().functions["double_it"] == double()
    assert function_from_dict(json.loads(json.dumps(double().to_dict()))) == double()


def test_crash_mid_write_leaves_previous_version(tmp_path, monkeypatch):
    store = FunctionBaseStore(tmp_path)
    store.commit(STAGES, {"double_it": double()}, None)
    import logicdistill.functionbase.store as store_module

    real = store_module.write_atomic

    def crash_on_current(path, text, **kwargs):
        if path.name == "CURRENT":
            raise OSError("disk full")
        real(path, text, **kwargs)

    monkeypatch.setattr(store_module, "write_atomic", crash_on_current)
    with pytest.raises(OSError):
        store.extend([negate()], None, note="lost")
    assert set(FunctionBaseStore(tmp_path).current().functions) == {"double_it"}


def test_corrupt_files_are_clear_errors(tmp_path):
    store = FunctionBaseStore(tmp_path)
    store.commit(STAGES, {"double_it": double()}, None)
    (tmp_path / "CURRENT").write_text("garbage")
    with pytest.raises(FormatError, match="corrupt"):
        store.current()
    (tmp_path / "CURRENT").write_text("1")
    next((tmp_path / "functions").iterdir()).write_text("{not json")
    with pytest.raises(FormatError, match="unreadable"):
        store.current()
    with pytest.raises(UserError, match="no version 7"):
        store.version(7)


def test_manual_renders_compactly_and_as_tool_schema():
    f = double()
    assert f.compact().splitlines()[0] == "double_it(state: state) -> int"
    schema = f.tool_schema()
    assert schema["function"]["name"] == "double_it"
    assert schema["function"]["parameters"]["required"] == ["state"]
    assert schema["function"]["parameters"]["properties"]["state"]["type"] == "object"
    with pytest.raises(FormatError, match="unknown type"):
        function_from_dict(
            {**f.to_dict(), "manual": {**f.to_dict()["manual"], "params": [{"name": "s", "type": "blob"}]}}
        )


def test_identical_content_reuses_the_current_version(tmp_path):
    store = FunctionBaseStore(tmp_path)
    first = store.commit(STAGES, {"double_it": double()}, None, note="eq1")
    again = store.commit(STAGES, {"double_it": double()}, None, note="eq1")
    assert again.number == first.number == 1 and store.versions() == [1] and store.reused(again, 1)
    changed = store.commit(STAGES, {"double_it": double(), "negate_it": negate()}, None, note="eq1")
    assert changed.number == 2 and not store.reused(changed, 1) and store.current_number() == 2


def test_a_version_that_is_not_made_current_leaves_current_alone(tmp_path):
    store = FunctionBaseStore(tmp_path)
    store.commit(STAGES, {"double_it": double()}, None, note="eq1")
    rule = store.extend([negate()], None, note="eq6 rule", make_current=False)
    assert rule.number == 2 and store.current_number() == 1 and store.find("eq6 rule") == 2
    assert store.extend([negate()], None, note="eq6 rule", make_current=False).number == 2  # same content: reused


def test_base_build_twice_writes_one_version_and_says_so(tmp_path, capsys):
    from logicdistill.cli import main

    argv = ["base", "build", "--task", "blackjack", "--base-dir", str(tmp_path)]
    assert main(argv) == 0 and "version 1" in capsys.readouterr().out
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "unchanged: version 1" in out and "no new version" in out
    assert FunctionBaseStore(tmp_path / "blackjack").versions() == [1]
