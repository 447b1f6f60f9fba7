"""Teacher spec strings and make_client."""

from __future__ import annotations

import pytest

from logicdistill.errors import UserError
from logicdistill.teacher import TeacherSpec, make_client, parse_teacher_spec


def test_accepted_forms():
    assert parse_teacher_spec("recorded") == TeacherSpec("recorded")
    assert parse_teacher_spec(" openai:gpt-4o ") == TeacherSpec("openai", "gpt-4o")
    assert parse_teacher_spec("openai:llama3:8b@http://127.0.0.1:11434/v1/") == TeacherSpec(
        "openai", "llama3:8b", "http://127.0.0.1:11434/v1"
    )
    spec = parse_teacher_spec("openai:org/model@https://host/v1")
    assert (spec.model, spec.base_url, str(spec)) == (
        "org/model",
        "https://host/v1",
        "openai:org/model@https://host/v1",
    )


@pytest.mark.parametrize("bad", ["", "gpt-4o", "anthropic:claude", "openai:", "openai:@http://h/v1", "openai:m@host"])
def test_rejected_forms_list_the_accepted_ones(bad):
    with pytest.raises(UserError, match="recorded|MODEL|URL"):
        parse_teacher_spec(bad)


def test_make_client(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    client = make_client("openai:qwen@http://127.0.0.1:9000/v1", cache_dir=tmp_path, timeout=5.0)
    assert (client.model, client.base_url, client.timeout) == ("qwen", "http://127.0.0.1:9000/v1", 5.0)
    assert make_client("openai:qwen", cache_dir=tmp_path).base_url == "http://127.0.0.1:8000/v1"
    with pytest.raises(UserError, match="replayed from files"):
        make_client("recorded", cache_dir=tmp_path)
