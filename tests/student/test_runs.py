"""The typed run record: saves and loads itself, refuses a malformed file in one line, warns on another base."""

import json

import pytest

from logicdistill.errors import UserError
from logicdistill.student.runs import DistilledStudent, shipped_run


def _record() -> DistilledStudent:
    return DistilledStudent("count", "ld", "tiny", 3, "bm25", "hashing", "abc123", {"seed": 1}, {"acc": 0.5})


def test_round_trip(tmp_path):
    record = _record()
    record.extra["hashes"] = {"train_traces": "x"}
    record.save(tmp_path)
    loaded = DistilledStudent.load(tmp_path)
    assert loaded == record and loaded.folder == tmp_path and loaded.extra["hashes"] == {"train_traces": "x"}


@pytest.mark.parametrize("text", ["{", "[]", '{"kind": "ld"}', '{"task": "t", "k": "many"}', "\x00\xff"])
def test_malformed_record_is_one_line(tmp_path, text):
    (tmp_path / "run.json").write_bytes(text.encode("latin-1"))
    with pytest.raises(UserError) as err:
        DistilledStudent.load(tmp_path)
    assert "not a readable run record" in str(err.value) and "\n" not in str(err.value)


def test_missing_record_and_adapter_are_named(tmp_path):
    with pytest.raises(UserError, match="not a finished run folder"):
        DistilledStudent.load(tmp_path)
    _record().save(tmp_path)
    with pytest.raises(UserError, match="has no LoRA adapter"):
        _ = DistilledStudent.load(tmp_path).adapter_dir


def test_other_base_warns_once_in_one_line(tmp_path, capsys):
    record = _record()
    record.save(tmp_path)
    assert record.check_base("abc123") is True and capsys.readouterr().err == ""
    assert record.check_base("fff000") is False
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "abc123" in err and "fff000" in err


def test_old_records_without_typed_fields_still_load():
    """The shipped runs predate the typed fields: they come from the config."""
    for task in ("pursuit", "blackjack"):
        record = DistilledStudent.load(shipped_run(task))
        assert record.task == task and record.k == record.config["k"] and record.adapter_dir.is_dir()


def test_saved_json_has_the_spec_fields(tmp_path):
    _record().save(tmp_path)
    data = json.loads((tmp_path / "run.json").read_text())
    assert {"task", "kind", "student", "k", "retriever", "embedder", "base_fingerprint", "config"} <= set(data)


def test_a_task_without_a_run_of_its_own_uses_the_universal_run(tmp_path, monkeypatch):
    from logicdistill.student import runs

    monkeypatch.setenv("LOGICDISTILL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(runs.RUN_ENV, raising=False)
    monkeypatch.setattr(runs, "SHIPPED_DIR", tmp_path / "shipped")
    with pytest.raises(UserError, match="no distilled run"):
        runs.resolve_run("newtask", None)
    with pytest.raises(UserError, match="no universal run"):
        runs.run_from("universal")
    shipped = tmp_path / "shipped" / "universal"
    _record().save(shipped)
    assert runs.shipped_run("universal") == shipped
    assert runs.resolve_run("newtask", None).folder == shipped
    assert runs.resolve_run("newtask", "universal").folder == shipped and runs.run_from("universal").folder == shipped
    with pytest.raises(UserError, match="no distilled run"):  # a kd student imitates one task's actions
        runs.resolve_run("newtask", None, kind="kd")
    mine = tmp_path / "home" / "runs" / "universal" / "20260101-000000-seed0"
    _record().save(mine)
    assert runs.resolve_run("newtask", "universal").folder == mine  # naming universal: the newest one
    own = tmp_path / "home" / "runs" / "newtask" / "20250101-000000-seed0"
    _record().save(own)
    assert runs.resolve_run("newtask", str(own)).folder == own
    assert runs.run_from(str(own)).folder == own


def test_a_distilled_run_is_used_only_where_it_is_named(tmp_path, monkeypatch):
    """A throwaway `distill` must not silently become the student: the shipped run stays the default."""
    from logicdistill.student import runs

    monkeypatch.setenv("LOGICDISTILL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(runs.RUN_ENV, raising=False)
    shipped = runs.shipped_run("pursuit")
    mine = tmp_path / "home" / "runs" / "pursuit" / "20990101-000000-seed0"
    _record().save(mine)
    assert runs.resolve_run("pursuit", None).folder == shipped
    assert runs.resolve_run("pursuit", "latest").folder == mine
    assert runs.resolve_run("pursuit", str(mine)).folder == mine
    monkeypatch.setenv(runs.RUN_ENV, str(mine))
    assert runs.resolve_run("pursuit", None).folder == mine  # the documented setting
    monkeypatch.setenv(runs.RUN_ENV, str(tmp_path / "gone"))
    with pytest.raises(UserError, match="LOGICDISTILL_RUN .*no such folder"):
        runs.resolve_run("pursuit", None)


def test_student_kd_without_a_run_names_the_command_that_makes_one(tmp_path, monkeypatch):
    from logicdistill.student import runs

    monkeypatch.setenv("LOGICDISTILL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(runs.RUN_ENV, raising=False)
    with pytest.raises(UserError) as err:
        runs.resolve_run("blackjack", None, kind="kd")
    assert "`logicdistill distill --task blackjack --kind kd`" in str(err.value)
    mine = tmp_path / "home" / "runs" / "blackjack-kd" / "20990101-000000-seed0"
    _record().save(mine)
    assert runs.resolve_run("blackjack", "latest", kind="kd").folder == mine


def test_with_no_universal_run_a_new_task_borrows_the_shipped_pursuit_adapter(tmp_path, monkeypatch, capsys):
    from logicdistill.student import runs

    monkeypatch.setenv("LOGICDISTILL_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(runs, "SHIPPED_DIR", tmp_path / "shipped")
    _record().save(tmp_path / "shipped" / "pursuit")
    borrowed = runs.resolve_run("newtask", None)
    assert borrowed.folder == tmp_path / "shipped" / "pursuit" and borrowed.base_fingerprint is None
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "no distilled run for 'newtask': using the shipped pursuit adapter" in line
    with pytest.raises(UserError, match="no distilled run"):  # a kd student imitates one task's actions
        runs.resolve_run("newtask-kd", None, kind="kd")
