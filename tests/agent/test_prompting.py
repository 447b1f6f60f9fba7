"""The student's prompts: earlier results written as facts read back as the same facts."""

from logicdistill.agent.prompting import facts_text, parse_facts


def test_parse_facts_reads_what_facts_text_writes():
    facts = {"capture_available": False, "position_repeated": True, "a_b": True}
    assert parse_facts(facts_text(facts)) == facts
    assert parse_facts("[0, 2]") == {} and parse_facts("none") == {} and parse_facts('{"a": 1}') == {}
