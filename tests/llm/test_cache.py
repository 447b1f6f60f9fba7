"""The on-disk request cache: canonical keys, atomic records, unusable records treated as misses."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from logicdistill.teacher import RequestCache, request_key

REQUEST = {"model": "m", "messages": [{"role": "user", "content": "héllo"}], "temperature": 0.0}


def test_key_ignores_dict_order_but_not_content():
    reordered = {"temperature": 0.0, "messages": [{"content": "héllo", "role": "user"}], "model": "m"}
    assert request_key(REQUEST) == request_key(reordered)
    assert request_key(REQUEST) != request_key(REQUEST | {"temperature": 0.5})


def test_put_get_round_trip_leaves_no_temporary_files(tmp_path):
    cache = RequestCache(tmp_path)
    assert cache.get(REQUEST) is None
    path = cache.put(REQUEST, {"choices": []}, "answer")
    assert path == tmp_path / request_key(REQUEST)[:2] / f"{request_key(REQUEST)}.json"
    record = cache.get(REQUEST)
    assert record["content"] == "answer" and record["request"] == REQUEST and record["key"] == request_key(REQUEST)
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert cache.keys() == [request_key(REQUEST)] and len(cache) == 1


def test_unusable_records_are_misses_and_get_overwritten(tmp_path, caplog):
    cache = RequestCache(tmp_path)
    path = cache.put(REQUEST, {}, "answer")
    path.write_text('{"request": ', encoding="utf-8")  # a corrupt file (e.g. written by another tool)
    assert cache.get(REQUEST) is None
    assert "unusable teacher cache record" in caplog.text
    record = json.loads(json.dumps({"request": REQUEST | {"model": "other"}, "content": "x"}))
    path.write_text(json.dumps(record), encoding="utf-8")  # a record for another request under this key
    assert cache.get(REQUEST) is None
    cache.put(REQUEST, {}, "fresh")
    assert cache.get(REQUEST)["content"] == "fresh"


def _spoil(kind: str, path: Path, monkeypatch) -> None:
    """Put something unusable in the place of the record at ``path`` (which holds a good record)."""
    if kind == "not-utf8":
        path.write_bytes(b'{"content": "\xff\xfe\x9b garbage"}')
    elif kind == "nested-too-deep":
        path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")  # parses only past the recursion limit
    elif kind == "not-a-dict":
        path.write_text(json.dumps([REQUEST, "answer"]), encoding="utf-8")
    elif kind == "content-not-text":
        path.write_text(json.dumps({"request": REQUEST, "content": {"text": "answer"}}), encoding="utf-8")
    elif kind == "directory":
        path.unlink()
        (path / "inner").mkdir(parents=True)
    elif kind == "fifo":  # reading one would block forever
        path.unlink()
        os.mkfifo(path)
    elif kind == "shard-is-a-file":
        shutil.rmtree(path.parent)
        path.parent.write_text("junk", encoding="utf-8")
    elif kind == "unreadable":  # chmod 000 would not stop root, so the read itself is made to fail
        read_bytes = Path.read_bytes

        def refuse(self: Path) -> bytes:
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return read_bytes(self)

        monkeypatch.setattr(Path, "read_bytes", refuse)


SPOILS = ["not-utf8", "nested-too-deep", "not-a-dict", "content-not-text", "directory", "shard-is-a-file", "unreadable"]


@pytest.mark.parametrize("kind", SPOILS + (["fifo"] if hasattr(os, "mkfifo") else []))
def test_each_unusable_record_is_a_warned_miss_that_put_replaces(tmp_path, caplog, monkeypatch, kind):
    cache = RequestCache(tmp_path)
    path = cache.put(REQUEST, {}, "answer")
    _spoil(kind, path, monkeypatch)
    assert cache.get(REQUEST) is None
    assert "unusable teacher cache record" in caplog.text
    monkeypatch.undo()
    assert cache.put(REQUEST, {}, "fresh") == path
    assert cache.get(REQUEST)["content"] == "fresh"
    assert cache.keys() == [request_key(REQUEST)]
