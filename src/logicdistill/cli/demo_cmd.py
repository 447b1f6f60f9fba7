"""``logicdistill demo``: the whole pipeline offline on the embedded defaults.

Function base (recorded teacher, admitted in the sandbox) -> student (the shipped distilled adapter, or
``--retrain``) -> pursuit against the optimal evader next to the baselines -> an emergency the student never
saw -> a report with a table, JSON, plots and an episode animation.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from logicdistill import settings as settings_options
from logicdistill.cli import checks
from logicdistill.evaluation import evaluate, format_table, make_env, make_policy, play_episode, write_json
from logicdistill.tasks import get_task

BASELINES = ("optimal", "heuristic", "random", "teacher-program", "manual-match", "ld", "ld-guard")
# The function-base policies side by side on the emergency (SPEC §8): the program, the conditions alone, the
# student unguarded (the paper's selection) and the student guarded by the conditions.
EMERGENCY_POLICIES = ("teacher-program", "manual-match", "ld", "ld-guard")
STUDENTS = ("ld", "ld-guard")
READING = "\n".join(
    "  " + line
    for line in (
        "How to read it: teacher-program is the teacher's own selection logic (LD's upper bound). manual-match uses",
        "no model: each function's checked condition decides. Where manual-match equals teacher-program, the",
        "conditions decide everything on this task, and the student's weights matter only in ld (the paper's",
        "unguarded selection; false_condition_rate counts its misreads: stages where it chose a function whose",
        "condition was false). ld-guard lets the student choose only among candidates whose condition holds or is",
        "unchecked (forced_rate: stages decided by conditions alone, no forward pass). Where manuals are prose",
        "(unchecked_rate > 0), the student reads them.",
    )
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="the main job: base -> student -> evaluation -> report, offline")
    p.add_argument("--retrain", action="store_true", help="distil the student again instead of the shipped adapter")
    p.add_argument(
        "--run",
        help="the student: a run folder, `latest` (the newest you distilled) or `universal` (default: "
        "$LOGICDISTILL_RUN, else the shipped adapter)",
    )
    p.add_argument("--episodes", type=checks.episodes_type, default=20, help="pursuit episodes per policy (default 20)")
    p.add_argument(
        "--emergency-episodes", type=checks.episodes_type, default=10, help="episodes of the emergency scenario"
    )
    p.add_argument("--scenario", default="danger_zone", help="the emergency scenario (default danger_zone)")
    p.add_argument("--seed", type=checks.seed_type, default=0, help="base seed in 0..2**32-1 (default 0)")
    p.add_argument("--out", default="logicdistill-demo", help="report folder (default ./logicdistill-demo)")
    p.add_argument(
        "--rule-teacher",
        metavar="SPEC",
        help="who answers the emergency's new rule (Eq. 6): recorded (default), recorded:DIR or openai:MODEL[@URL]",
    )
    settings_options.add_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from logicdistill.agent.session import FunctionBaseSession
    from logicdistill.evaluation.plots import bar_chart
    from logicdistill.student.runs import DistilledStudent, new_run_dir, resolve_run, shipped_run

    start = time.perf_counter()
    task = get_task("pursuit")
    # all of it before the first stage: the demo runs for minutes and writes its report at the end
    checks.check_seeds(args.seed, max(args.episodes, args.emergency_episodes))
    checks.require_ml("the demo's student")
    checks.check_output_dir(args.out, "--out")
    checks.check_env(task, {"scenario": args.scenario})
    checks.check_run_dir(args.run)
    settings = settings_options.from_args(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    print("== 1. function base (Eq. 1, recorded teacher, admitted in the sandbox)")
    session = FunctionBaseSession(task)
    base = session.base
    session.close()
    for stage in base.stages:
        names = ", ".join(f.name for f in base.for_stage(stage.name))
        print(f"  stage {stage.name}: {names}")

    print("== 2. student")
    if args.retrain:
        import dataclasses

        from logicdistill.distillation.pipeline import DistillConfig, distill

        # the shipped adapter's own recipe, so --retrain reproduces it (same seed: same traces and examples)
        shipped = shipped_run(task.name)
        config = DistillConfig.from_dict(DistilledStudent.load(shipped).config) if shipped else DistillConfig()
        config = dataclasses.replace(config, seed=args.seed)
        run_dir = new_run_dir(task.name, args.seed)
        print(f"  distilling into {run_dir} with the shipped recipe (tens of minutes on a 2-core CPU)")
        distill(task, config, run_dir, settings=settings)
    else:
        run_dir = resolve_run(task.name, args.run).folder
    m = DistilledStudent.load(run_dir).metrics
    print(
        f"  student: run {run_dir}: held-out selection accuracy {m['heldout_accuracy']:.3f}, "
        f"trained in {m['train_seconds'] / 60:.1f} min"
    )

    print(f"== 3. pursuit vs the optimal evader, {args.episodes} episodes, paired seeds")
    results = []
    ld = {"run": str(run_dir)}
    for name in BASELINES:
        options = ld if name in STUDENTS else {}
        results.append(evaluate(task, name, args.episodes, args.seed, {}, options, settings=settings))
    for r in results:
        r.context = {"scenario": None, "map": None, "teacher": "recorded"} | r.context
    print(format_table(results, reference="optimal"))

    rule_teacher = {"rule_teacher": args.rule_teacher} if args.rule_teacher else {}
    print(f"== 4. emergency {args.scenario!r}: a new rule mid-episode, new functions, no retraining")
    emergency = [
        evaluate(
            task,
            name,
            args.emergency_episodes,
            args.seed,
            {"scenario": args.scenario},
            (ld if name in STUDENTS else {}) | rule_teacher,
            settings=settings,
        )
        for name in EMERGENCY_POLICIES
    ]
    for r in emergency:
        r.policy = f"{r.policy}@{args.scenario}"
        r.context = {"scenario": args.scenario, "map": None, "teacher": "recorded"} | r.context
    print(format_table(emergency))
    print(READING)

    write_json(results + emergency, out / "results.json")
    charts = [
        bar_chart(results, metric, out / f"{metric}.png")
        for metric in ("capture_rate", "optimal_ratio", "selection_accuracy")
    ]
    gif = out / "ld_episode.gif"
    policy = make_policy(task, "ld", settings, **ld, **rule_teacher)
    env = make_env(task, {"scenario": args.scenario})
    frames = []
    try:
        play_episode(task, env, policy, args.seed, on_step=lambda *a: frames.append(task.frame(env)))
    finally:
        policy.close()
    frames = [f for f in frames if f is not None]
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=400, loop=0)
    summary = {
        "run": str(run_dir),
        "wall_s": time.perf_counter() - start,
        "charts": [str(c) for c in charts if c],
        "animation": str(gif),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"== report in {out}/: results.json, {', '.join(Path(c).name for c in summary['charts'])}, {gif.name}")
    print(f"demo finished in {summary['wall_s']:.0f} s")
    return 0
