"""Conditions must agree with the teacher's own program (SPEC §8): seeded rollouts of the task (and, for a
new rule, of a scenario where it arrives) played by the program; at every stage its choice must be a
candidate whose condition holds or is unchecked, and no two checked candidates may hold at once unless one
replaces the other.

The rollouts are the program's own play (the functions and the program run in the sandbox, exactly as
``teacher-program`` plays), kept short: a few episodes, a bounded number of decisions. A base without any
condition is not rolled out at all (nothing to check).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from logicdistill.functionbase.admission import module_id
from logicdistill.functionbase.function import Function
from logicdistill.functionbase.guard import judge, with_rule_facts
from logicdistill.tasks.base import Stage, Task
from logicdistill.teacher.drafts import PROGRAM_FUNCTION

ROLLOUT_SEED = 0
MAX_EPISODES = 40
MAX_DECISIONS = 150


def agreement_problem(
    task: Task,
    stages: Sequence[Stage],
    functions: Mapping[str, Function],
    program: str | None,
    sandbox: Any,
    kinds: Sequence[str],
    rule: str | None = None,
    env: Any = None,
) -> str | None:
    """One line saying where the conditions and the program disagree, or None (also when nothing is checked,
    the base has no program, or the task offers no rollout)."""
    if program is None or not any(f.checked for f in functions.values()):
        return None
    env_args = task.rollout_env_args(rule, env)
    if not env_args:
        return None
    program_id = f"agreement_program.{hashlib.sha256(program.encode()).hexdigest()[:16]}"
    if not sandbox.load(program_id, program).ok:
        return None  # the program's own check reports it
    for f in functions.values():
        if not sandbox.load(module_id(f), f.source).ok:
            return None  # the function's own check reports it
    decisions, episode = 0, 0
    while decisions < MAX_DECISIONS and episode < MAX_EPISODES:
        kwargs = env_args[episode % len(env_args)]
        rollout = task.make_env(**kwargs)
        try:
            rollout.reset(seed=ROLLOUT_SEED + episode)
            done = False
            while not done and decisions < MAX_DECISIONS:
                outcome = _decide(task, rollout, stages, functions, program_id, sandbox, kinds)
                if isinstance(outcome, str):
                    where = f" ({', '.join(f'{k}={_name(v)}' for k, v in kwargs.items())})" if kwargs else ""
                    return f"{outcome}, in the rollout of seed {ROLLOUT_SEED + episode}{where}"
                decisions += 1
                if outcome is None:
                    break
                _, _, terminated, truncated, _ = rollout.step(outcome)
                done = terminated or truncated
        finally:
            rollout.close()
        episode += 1
    return None


def _decide(task, env, stages, functions, program_id, sandbox, kinds) -> Any:
    """One decision played by the program: the action, None when a stage fails, or a disagreement line."""
    state = task.state_json(env)
    state_facts = task.state_facts(env)
    facts, previous = dict(state_facts), None
    for stage in stages:
        names = [n for n, f in functions.items() if stage.name in f.manual.stages]
        (answer,) = sandbox.call_many([(program_id, PROGRAM_FUNCTION, [stage.name, facts], {})])
        chosen = answer.value if answer.ok and answer.value in functions else None
        if chosen is None:
            return None
        full = with_rule_facts(facts, kinds)
        verdicts = judge(functions, stage.name, names, full)
        shown = _facts_line(full)
        if chosen in verdicts.false:
            condition = functions[chosen].manual.condition
            return f"at stage {stage.name} the program chose {chosen}, whose condition {condition!r} is false on" + (
                f" {shown}"
            )
        if chosen in verdicts.replaced:
            return f"at stage {stage.name} the program chose {chosen}, which a new rule's function replaces"
        if len(verdicts.holds) > 1:
            both = ", ".join(f"{n} ({functions[n].manual.condition!r})" for n in verdicts.holds)
            return f"at stage {stage.name} several conditions hold at once: {both} on {shown}; program chose {chosen}"
        args = {}
        for p in functions[chosen].manual.params:
            args[p.name] = state if p.type == "state" else previous
        (result,) = sandbox.call_many([(module_id(functions[chosen]), chosen, [], args)])
        if not result.ok:
            return None
        previous = result.value
        facts = dict(state_facts) | (
            {k: v for k, v in previous.items() if isinstance(v, bool)} if isinstance(previous, dict) else {}
        )
    return task.action_from_result(previous, env)


def _facts_line(facts: Mapping[str, bool]) -> str:
    return "{" + ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in sorted(facts.items())) + "}"


def _name(value: Any) -> str:
    return str(getattr(value, "name", value))
