"""The student's prompts: earlier results written as facts read back as the same facts."""

from logicdistill.agent.prompting import facts_text, parse_facts


def test_parse_facts_reads_what_facts_text_writes():
    facts = {"capture_available": False, "position_repeated": True, "a_b": True}
    assert parse_facts(facts_text(facts)) == facts
    assert parse_facts("[0, 2]") == {} and parse_facts("none") == {} and parse_facts('{"a": 1}') == {}


def test_a_training_example_and_a_play_prompt_of_one_state_are_the_same_text(recorded, tmp_path, monkeypatch):
    """Distillation writes its examples from the teacher's traces, play from the live state: both through
    agent/prompting.py, so for the same state, candidates and earlier results the two prompts are one string."""
    from logicdistill.agent.candidates import CandidateBuilder
    from logicdistill.agent.ld_policy import LDPolicy
    from logicdistill.agent.session import FunctionBaseSession
    from logicdistill.agent.student_decider import StudentDecider
    from logicdistill.agent.teacher_program import TeacherProgramPolicy
    from logicdistill.distillation.dataset import trace_examples
    from logicdistill.distillation.traces import collect_traces
    from logicdistill.evaluation import play_episode
    from logicdistill.student.tiny import tiny_student
    from tests.fakes import CountTask

    task, seed = CountTask(), 4
    session = FunctionBaseSession(task, recorded, tmp_path / "bases")
    program = TeacherProgramPolicy(task, session=session)
    try:
        traces = [t for t in collect_traces(task, program, [seed], progress=False) if t.step == 0]
        session.restart()  # back to the Eq. 1 base: the first step's, before the episode's rule arrived
        builder = CandidateBuilder(task, session.base, k=4, retriever="bm25")
        training = trace_examples(builder, traces, seed=0, shuffle=False).examples
    finally:
        program.close()

    played = []
    prepare = StudentDecider.prepare
    monkeypatch.setattr(StudentDecider, "prepare", lambda self, view: played.append(prepare(self, view)) or played[-1])
    policy = LDPolicy(task, tuned=False, student=tiny_student(0), teacher=recorded, base_root=tmp_path / "b2", k=4,
                      retriever="bm25")  # fmt: skip
    try:
        play_episode(task, task.make_env(), policy, seed)
    finally:
        policy.close()
    first_training, first_play = training[0], played[0]
    assert first_play.candidates == first_training.candidates  # the same candidates (the whole stage, sorted)
    assert (first_play.prefix, first_play.state) == (first_training.prefix, first_training.state)
    assert "Facts: " in first_play.state and first_play.gold is None and first_training.gold is not None
