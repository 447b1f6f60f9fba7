"""The on-disk request cache: canonical keys, atomic records, unusable records treated as misses."""

from __future__ import annotations

import json

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
