from logicdistill.agent.teacher_program import TeacherProgramPolicy
from logicdistill.evaluation import play_episode
from logicdistill.teacher.build import default_store
from tests.fakes import CountTask


def test_program_drives_the_base_and_adopts_the_new_rule(tmp_path, recorded):
    task = CountTask()
    policy = TeacherProgramPolicy(task, teacher=recorded, base_root=tmp_path / "bases")
    try:
        env = task.make_env()
        record = play_episode(task, env, policy, seed=0)
        start = env.unwrapped.x - 4
        xs = [start + i for i in range(4)]
        # steps 0-1: the Eq. 1 program (double when x <= 3, negate otherwise); steps 2-3: the new rule's function
        expected = [(-x if x > 3 else 2 * x) for x in xs[:2]] + [x + 100 for x in xs[2:]]
        assert record.stats["actions"] == expected
        store = default_store(task, tmp_path / "bases")
        assert store.versions() == [1, 2]
        assert "add_hundred" in store.version(2).functions and "add_hundred" not in store.version(1).functions
        assert store.current_number() == 1  # an adopted emergency never becomes the task's CURRENT
        assert policy.session.adoptions[0].new_functions == ["add_hundred"]
        # a second episode starts from the Eq. 1 base again and reuses the stored adoption (no new version)
        record2 = play_episode(task, env, policy, seed=0)
        assert record2.stats["actions"] == expected and store.versions() == [1, 2]
        assert "[act] add_hundred(state=state)" in policy.last_trace
    finally:
        policy.close()


def test_a_damaged_stored_base_is_named_and_built_again(tmp_path, recorded, capsys):
    from logicdistill.agent.session import FunctionBaseSession

    task = CountTask()
    first = FunctionBaseSession(task, recorded, tmp_path / "b")
    first.close()
    victim = next((tmp_path / "b" / "count" / "functions").glob("double_it.*.json"))
    victim.write_text(victim.read_text()[:40])  # truncated, as a crash or a full disk leaves it
    again = FunctionBaseSession(task, recorded, tmp_path / "b")
    try:
        assert again.base.number > first.base.number and "double_it" in again.base.functions
        assert again.runtime.call("double_it", {"state": {"x": 3}}).value == 6
    finally:
        again.close()
    err = capsys.readouterr().err
    assert "building it again" in err and err.strip().count("\n") == 0
