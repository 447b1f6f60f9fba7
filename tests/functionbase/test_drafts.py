import pytest

from logicdistill.teacher.drafts import parse_reply
from logicdistill.teacher.parsing import ReplyParseError
from tests.functionbase.sample import REPLY


def test_reply_parses_into_stages_functions_and_program():
    draft = parse_reply(REPLY, "recorded", "abc", need_stages=True)
    assert [s.name for s in draft.stages] == ["act"]
    assert [f.name for f in draft.functions] == ["double_it", "negate_it"]
    assert draft.functions[0].provenance.teacher == "recorded"
    assert "def select_function" in draft.program


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda r: r.replace('"name": "negate_it", "stages"', '"name": "negate_them", "stages"'), "negate_them"),
        (lambda r: r.replace("def select_function", "def pick"), "usage program"),
        (lambda r: r.replace('["act"], "summary": "doubles', '["fly"], "summary": "doubles'), "unknown stage"),
        (lambda r: r.replace("    return -state['x']", "    return -state['x'\n"), "does not parse"),
        (lambda r: r.split("```python")[0], "no ```python block"),
    ],
)
def test_bad_replies_say_what_is_wrong(mutate, message):
    with pytest.raises(ReplyParseError, match=message):
        parse_reply(mutate(REPLY), "recorded", "abc", need_stages=True)
