"""``check-task``: is a task sound for Logic Distillation? In the spirit of Gymnasium's ``check_env``.

Each check returns problems, one line each, that say what to fix. The checks, in order: the environment
passes ``check_env``; the state JSON, facts and text exist, are plain data and are the same for the same
state; rule facts are named ``<kind>_in_force`` and hold while the rule is in force; the teacher's base admits
(built into a throw-away store) with the stages the task declares; the oracle (``optimal``, if the task has
one) and ``teacher-program`` play an episode to its end; for a task that decides from a state JSON alone
(``Task.text_from_state``: what ``logicdistill serve`` needs), the rebuilt facts, text and decision equal the
live ones at every step of a ``teacher-program`` episode.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Callable
from typing import Any

from logicdistill.errors import UserError
from logicdistill.evaluation.runner import evaluate, make_env
from logicdistill.plugins import one_line
from logicdistill.tasks.base import Task

RULE_FACT = "{kind}_in_force"


def check_task(
    task: Task, teacher: Any = "recorded", seed: int = 0, episodes: int = 1, notes: list[str] | None = None
) -> list[str]:
    """Every problem found, one line each (empty: the task is sound). ``notes`` receives advice that is not a
    problem (how many functions carry a checked condition)."""
    problems = _env_problems(task, seed)
    if problems:  # the rest needs a working environment
        return problems
    problems += _state_problems(task, seed)
    with tempfile.TemporaryDirectory(prefix="ld-check-task-") as root:
        base_problems = _base_problems(task, teacher, root, notes if notes is not None else [])
        problems += base_problems
        if not base_problems:
            problems += _play_problems(task, "teacher-program", seed, episodes, {"teacher": teacher, "base_root": root})
            problems += _stateless_problems(task, teacher, root, seed)
            if not task.supports_stateless() and notes is not None:
                notes.append(
                    "serving: no text_from_state (nor the other stateless views), so `serve` cannot decide "
                    "from a state JSON (optional: README, Your own task)"
                )
            for kind in task.rule_kinds():  # after a rule arrives too: <kind>_in_force and the rules in force
                for env_args in task.rollout_env_args(kind)[:1]:
                    problems += _stateless_problems(task, teacher, root, seed, env_args, f" (rule {kind})")
    if "optimal" in task.policies():
        problems += _play_problems(task, "optimal", seed, episodes, {})
    return problems


def _env_problems(task: Task, seed: int) -> list[str]:
    from gymnasium.utils.env_checker import check_env

    try:
        env = make_env(task, {})
    except Exception as err:
        return [f"environment: make_env() failed: {one_line(err)}"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # check_env's warnings are advice; its exceptions are failures
            check_env(env.unwrapped, skip_render_check=True)
    except Exception as err:
        return [f"environment: gymnasium check_env fails: {one_line(err)}"]
    finally:
        env.close()
    return []


def _state_problems(task: Task, seed: int, steps: int = 20) -> list[str]:
    """State views on the states of one random episode (the first problem of each kind only)."""
    env = make_env(task, {})
    found: dict[str, str] = {}
    try:
        _, info = env.reset(seed=seed)
        env.action_space.seed(seed)
        for _ in range(steps):
            for kind, problem in _views_problems(task, env, info):
                found.setdefault(kind, problem)
            _, _, terminated, truncated, info = env.step(env.action_space.sample())
            if terminated or truncated:
                break
    except Exception as err:  # a state method that crashes is what this check is for
        found.setdefault("crash", f"state: playing a random episode failed: {one_line(err)}")
    finally:
        env.close()
    return list(found.values())


def _views_problems(task: Task, env: Any, info: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    views: dict[str, Callable[[], Any]] = {
        "state_json": lambda: task.state_json(env),
        "state_facts": lambda: task.state_facts(env),
        "state_text": lambda: task.state_text(env),
    }
    values = {}
    for name, view in views.items():
        try:
            values[name] = view(), view()
        except UserError as err:
            out.append((name, f"{name}: missing ({err}); define Task.{name}(env)"))
        except Exception as err:
            out.append((name, f"{name}: raises {one_line(err)}"))
    if "state_json" in values:
        state, again = values["state_json"]
        try:
            plain = json.loads(json.dumps(state))
        except (TypeError, ValueError) as err:
            problem = f"state_json: not JSON data ({one_line(err)}); use dicts, lists, str, int, float, bool"
            out.append(("json", problem))
        else:
            if not isinstance(state, dict):
                out.append(("json", f"state_json: must be a JSON object (dict), got {type(state).__name__}"))
            elif plain != state:
                out.append(("json", "state_json: holds tuples or non-str keys; functions receive it as plain JSON"))
            elif plain != json.loads(json.dumps(again)):
                out.append(("json-same", "state_json: two calls on the same state differ"))
    if "state_facts" in values:
        facts = values["state_facts"][0]
        bad = [k for k, v in facts.items() if not (isinstance(k, str) and k.isidentifier() and isinstance(v, bool))]
        if not isinstance(facts, dict) or bad:
            out.append(("facts", f"state_facts: must map names (identifiers) to True/False; bad entries: {bad[:3]}"))
    if "state_text" in values:
        text, again = values["state_text"]
        if not isinstance(text, str) or not text.strip():
            out.append(("text", "state_text: must be a non-empty string (what the student reads)"))
        elif text != again:
            out.append(("text-same", "state_text: two calls on the same state differ"))
    out += _rule_problems(task, env, info, values.get("state_facts", ({}, {}))[0])
    return out


def _rule_problems(task: Task, env: Any, info: dict[str, Any], facts: dict[str, bool]) -> list[tuple[str, str]]:
    try:
        events = task.rule_events(env, info)
    except Exception as err:
        return [("rules", f"rule_events: raises {one_line(err)}")]
    out = []
    for event in events:
        want = RULE_FACT.format(kind=event.kind)
        if event.fact != want:
            out.append(("rule-name", f"rule {event.kind!r}: its fact is {event.fact!r}; name it {want!r}"))
        elif facts.get(want) is not True:
            out.append(("rule-fact", f"rule {event.kind!r}: state_facts lacks {want}: True once the rule arrives"))
    return out


def _base_problems(task: Task, teacher: Any, root: str, notes: list[str]) -> list[str]:
    from logicdistill.sandbox import Sandbox
    from logicdistill.teacher.build import AdmissionFailed, build_base, default_store
    from logicdistill.teacher.teachers import make_teacher

    if not task.stages:
        return ["stages: the task declares no stage layout (Task.stages); LD needs one"]
    try:
        with Sandbox(workers=1) as sandbox:
            base = build_base(task, make_teacher(teacher), default_store(task, root), sandbox).base
    except AdmissionFailed as err:
        return [f"function base: {line}" for line in err.lines]
    except UserError as err:
        return [f"function base: {err}"]
    notes.append(condition_note(base.functions.values()))
    return []


def condition_note(functions: Any) -> str:
    """The share of checked functions, and a word to the author when there is none."""
    from logicdistill.functionbase.scope import checked_share

    checked, total = checked_share(functions)
    if checked:
        return f"conditions: {checked}/{total} functions carry a checked condition"
    return (
        f"conditions: none of the {total} functions carries a checked condition, so ld-guard and manual-match"
        ' decide nothing by them: give each function of the Eq. 1 reply a "condition" (SPEC §8)'
    )


def _play_problems(task: Task, policy: str, seed: int, episodes: int, options: dict[str, Any]) -> list[str]:
    try:
        result = evaluate(task, policy, episodes, seed, {}, options, progress=False)
    except Exception as err:
        return [f"policy {policy}: an episode failed: {one_line(err)}"]
    failed = result.metrics.get("invalid_calls", 0)
    if failed:
        return [f"policy {policy}: the usage program failed to produce an action at {failed:.0f} decisions"]
    return []


def _stateless_problems(
    task: Task, teacher: Any, root: str, seed: int, env_args: dict[str, Any] | None = None, where: str = ""
) -> list[str]:
    """A decision from the state JSON alone equals the live one (facts, text, action), step by step, in the
    environment ``env_args`` make (``where`` names it in the problem lines)."""
    steps = 20
    if not task.supports_stateless():
        return []  # optional: the task cannot be served, and says so when asked to be
    from logicdistill.agent.stateless import engine_for, read_state
    from logicdistill.agent.teacher_program import TeacherProgramPolicy

    env = make_env(task, env_args or {})
    policy = TeacherProgramPolicy(task, teacher=teacher, base_root=root)
    try:
        engine = engine_for(task, policy)
        obs, info = env.reset(seed=seed)
        policy.reset(env.unwrapped, seed)
        for t in range(steps):
            state = json.loads(json.dumps(task.state_json(env.unwrapped)))
            inputs = read_state(task, state)
            live_facts = task.state_facts(env.unwrapped)
            if inputs.facts != live_facts:
                return [f"stateless{where}: step {t}: facts_from_state {inputs.facts} != state_facts {live_facts}"]
            if inputs.text != task.state_text(env.unwrapped):
                return [f"stateless{where}: step {t}: text_from_state differs from state_text"]
            live = policy.act(obs, info)
            served = engine.decide_many([(inputs, engine.rules.base_for(inputs.rules))])[0]
            want = json.loads(json.dumps(live, default=lambda o: o.tolist()))
            got = json.loads(json.dumps(served.action, default=lambda o: o.tolist()))
            if got != want:
                return [f"stateless{where}: step {t}: the decision from the state JSON is {got}, the live one {want}"]
            obs, _, terminated, truncated, info = env.step(live)
            if terminated or truncated:
                break
    except Exception as err:
        return [f"stateless{where}: deciding from the state JSON failed: {one_line(err)}"]
    finally:
        policy.close()
        env.close()
    return []
