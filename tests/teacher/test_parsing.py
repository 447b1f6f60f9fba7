"""Reply parsing (code blocks, JSON) and the repair loop, the latter against the real loopback server."""

from __future__ import annotations

import pytest

from logicdistill.errors import FormatError
from logicdistill.teacher import (
    ReplyParseError,
    TeacherClient,
    TeacherError,
    ask,
    extract_code_blocks,
    extract_json,
    require_code,
)

CODE = "def f(x):\n    return x + 1"


def test_code_blocks_with_and_without_tags():
    text = f"Here:\n```python\n{CODE}\n```\nand\n```\nprint(2)\n```\n```json\n{{}}\n```\n~~~py\ny = 3\n~~~"
    assert extract_code_blocks(text) == [CODE, "print(2)", "y = 3"]
    assert extract_code_blocks(text, "json") == ["print(2)", "{}"]
    assert len(extract_code_blocks(text, None)) == 4


def test_code_without_fences_only_when_it_parses():
    assert extract_code_blocks(CODE + "\n") == [CODE]
    assert extract_code_blocks("I cannot write that function, sorry.") == []
    assert extract_code_blocks("Sure") == []  # one word parses as Python but is not code
    assert extract_code_blocks(CODE, "json") == []


def test_require_code_explains_what_is_missing():
    assert require_code(f"```python\n{CODE}\n```\n```python\ng = f\n```") == CODE + "\n\ng = f"
    with pytest.raises(ReplyParseError, match="no ```python code block"):
        require_code("The function adds one to x.")
    with pytest.raises(ReplyParseError, match="never closed"):
        require_code(f"```python\n{CODE}")
    assert issubclass(ReplyParseError, FormatError)


def test_extract_json_forms():
    assert extract_json('{"a": [1, 2]}') == {"a": [1, 2]}
    assert extract_json('Sure:\n```json\n[{"b": "}"}]\n```\nDone.') == [{"b": "}"}]
    assert extract_json('The answer is {"call": "chase", "args": {"who": 0}} as asked.') == {
        "call": "chase",
        "args": {"who": 0},
    }
    # A brace group that is not JSON is skipped in favour of a later one that is.
    assert extract_json('Use {x} here; result: {"ok": true}') == {"ok": True}


def test_extract_json_errors_are_precise():
    with pytest.raises(ReplyParseError, match=r"trailing comma before '\}' at line 1"):
        extract_json('{"a": 1,}')
    with pytest.raises(ReplyParseError, match=r"in the ```json block: .* line 2 column"):
        extract_json('```json\n{"a": 1,\n "b" 2}\n```')
    with pytest.raises(ReplyParseError, match="no JSON object or array"):
        extract_json("I would chase the evader.")
    with pytest.raises(ReplyParseError, match="never closed"):
        extract_json('The call is {"call": "chase", "args": {')


def make(url, tmp_path) -> TeacherClient:
    return TeacherClient(url, "test-model", cache_dir=tmp_path / "cache", timeout=2.0, max_retries=0)


def test_ask_repairs_prose_then_rerun_replays_from_cache(loopback, tmp_path):
    prose = "The function f adds one to its argument."
    server = loopback([{"content": prose}, {"content": f"```python\n{CODE}\n```"}])
    messages = [{"role": "user", "content": "Write f."}]
    assert ask(make(server.url, tmp_path), messages, require_code) == CODE
    first, second = server.events()
    assert second["body"]["messages"][:2] == [messages[0], {"role": "assistant", "content": prose}]
    repair = second["body"]["messages"][2]["content"]
    assert repair.startswith("Your reply could not be used: no ```python code block") and "Reply again with" in repair
    # A rerun on a fresh client replays the whole repair chain from the cache.
    rerun = make(server.url, tmp_path)
    assert ask(rerun, messages, require_code) == CODE
    assert rerun.stats.requests == 0 and rerun.stats.cache_hits == 2 and len(server.events()) == 2


def test_ask_gives_up_after_max_repairs(loopback, tmp_path):
    server = loopback([{"content": "still prose", "repeat": True}])
    with pytest.raises(TeacherError, match="unusable after 2 repairs: no ```python code block"):
        ask(make(server.url, tmp_path), [{"role": "user", "content": "Write f."}], require_code, max_repairs=2)
    assert len(server.events()) == 3


def test_ask_repairs_only_marked_exceptions(loopback, tmp_path):
    def parse_int(text: str) -> int:
        return int(text.strip())

    server = loopback([{"content": "seven"}, {"content": "7"}, {"content": "eight"}])
    client = make(server.url, tmp_path)
    assert ask(client, [{"role": "user", "content": "A number?"}], parse_int, repair_on=(ValueError,)) == 7
    with pytest.raises(ValueError):  # not marked: propagates at once, no repair turn
        ask(client, [{"role": "user", "content": "Another?"}], parse_int)
    assert len(server.events()) == 3


def test_an_unusable_reply_reaches_the_user_escape_safe():
    from logicdistill.llm.client import TeacherError
    from logicdistill.teacher.parsing import ask

    class Hostile:
        def chat(self, messages, **params):
            return "\x1b]0;owned\x07\x1b[2J no code here\nsecond line"

    def parse(reply):
        raise ReplyParseError(f"cannot use {reply}")

    with pytest.raises(TeacherError) as err:
        ask(Hostile(), [{"role": "user", "content": "q"}], parse, max_repairs=1)
    text = str(err.value)
    assert "\x1b" not in text and "\x07" not in text and "\n" not in text and "no code here" in text
