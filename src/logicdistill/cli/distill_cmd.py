"""``logicdistill distill``: build traces, fine-tune the student with LoRA, save a run folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from logicdistill import settings as settings_options
from logicdistill.cli import checks
from logicdistill.distillation.forms import FORMS
from logicdistill.tasks import get_task, task_names


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from logicdistill.distillation.config import DistillConfig

    d = DistillConfig()
    p = subparsers.add_parser(
        "distill",
        help="fine-tune the student on the function base (traces + LoRA); resumable with the same --out",
    )
    p.add_argument(
        "--task",
        required=True,
        help=f"one of: {', '.join(task_names())}; several, comma-separated (pursuit,blackjack), train one adapter "
        "on all of them plus the curriculum (the universal student, saved under runs/universal)",
    )
    p.add_argument(
        "--from",
        dest="from_run",
        metavar="RUN|universal",
        help="fine-tune this run folder's adapter (or the newest universal run's) instead of a fresh one",
    )
    p.add_argument(
        "--kind",
        default=d.kind,
        choices=["ld", "kd"],
        help="ld: learn to select functions (default); kd: imitate the teacher's actions (student-kd baseline)",
    )
    p.add_argument(
        "--student", default=d.student, help="'default' (SmolLM2-135M-Instruct, offline) or a HF model id/folder"
    )
    p.add_argument(
        "--out",
        help="run folder (default: a new folder under ~/.cache/logicdistill/runs/TASK); "
        "rerun with the same --out to resume an interrupted run",
    )
    p.add_argument("--seed", type=checks.seed_type, default=d.seed, help="seed of traces, sampling and training")
    p.add_argument(
        "--teacher",
        default=d.teacher,
        help="recorded, recorded:DIR or openai:MODEL[@URL]: writes the function base; a live teacher is also asked "
        "for one label per training trace (the count is printed before it starts)",
    )
    p.add_argument("--rule-teacher", metavar="SPEC", help="answers new rules (Eq. 6) alone (default: --teacher)")
    p.add_argument("--train-episodes", type=int, default=d.train_episodes, help="teacher episodes per training env")
    p.add_argument("--heldout-episodes", type=int, default=d.heldout_episodes, help="episodes per held-out env")
    p.add_argument("--task-examples", type=int, default=d.task_examples, help="training examples from task traces")
    p.add_argument(
        "--synthetic-examples",
        type=int,
        default=d.synthetic_examples,
        help="curriculum examples: made-up bases whose manuals must be read, spread over the condition forms",
    )
    p.add_argument(
        "--curriculum-forms",
        type=_forms,
        help=f"train on these condition forms only, comma-separated (default: all: {', '.join(FORMS)})",
    )
    p.add_argument(
        "--curriculum-heldout",
        type=int,
        default=d.curriculum_heldout,
        help="held-out curriculum examples (unseen names and facts), scored per condition form",
    )
    p.add_argument(
        "--override-examples",
        type=int,
        default=d.override_examples,
        help="real task states with a made-up rule-override function among the candidates",
    )
    p.add_argument("--heldout-examples", type=int, default=d.heldout_examples, help="held-out examples to score")
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--lr", type=float, default=d.lr, help="learning rate of the first epoch")
    p.add_argument("--lr-decay", type=float, default=d.lr_decay, help="each epoch's lr: the last one's x this")
    p.add_argument("--lora-r", type=int, default=d.lora_r)
    p.add_argument(
        "--batch-size", type=int, default=d.batch_size, help="training examples per optimizer step (default 4)"
    )
    p.add_argument(
        "--length-window",
        type=int,
        default=d.length_window,
        metavar="N",
        help="batch examples of similar prompt length, sorted within windows of N shuffled examples: fewer "
        "pads, faster steps (default 0: plain shuffled batches, as the shipped runs trained)",
    )
    p.add_argument("--k", type=int, default=d.k, help="candidates retrieved per stage")
    p.add_argument("--retriever", default=d.retriever, choices=["bm25", "dense", "fused"])
    p.add_argument("--embedder", default=d.embedder, choices=["minilm", "hashing"])
    p.add_argument(
        "--probe-every",
        type=int,
        default=d.probe_every,
        metavar="N",
        help="score the held-out examples every N training steps, to see early whether a run learns "
        "(run.json metrics: heldout_probes; default 0: only before and after)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress output")
    settings_options.add_options(
        p,
        batch="old spelling of --rows here (distill plays no episodes in lockstep); prefer --rows",
        dtype_help="precision the student trains in (default auto: fp32; bf16 training learned worse here)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from logicdistill.distillation.config import check_tasks
    from logicdistill.distillation.pipeline import DistillConfig, distill
    from logicdistill.errors import UserError
    from logicdistill.student.runs import UNIVERSAL, new_run_dir, run_from

    tasks = _tasks(args.task)
    if args.batch is not None:  # the old spelling: held-out prompts per forward pass
        print("note: distill --batch is the old spelling of --rows (prompts scored per forward pass)")
        args.rows = args.rows or args.batch
    settings = settings_options.from_args(args)
    check_tasks(args.kind, [t.name for t in tasks])
    for task in tasks:
        if not task.stages:
            raise UserError(f"task {task.name!r} declares no stage layout to distil")
    for name in (
        "train_episodes",
        "heldout_episodes",
        "task_examples",
        "heldout_examples",
        "epochs",
        "k",
        "batch_size",
        "lora_r",
    ):
        if getattr(args, name) < 1:
            raise UserError(f"--{name.replace('_', '-')} must be at least 1")
    for name in ("synthetic_examples", "override_examples", "curriculum_heldout", "probe_every", "length_window"):
        if getattr(args, name) < 0:
            raise UserError(f"--{name.replace('_', '-')} must not be negative")
    for name in ("lr", "lr_decay"):  # LoRA would only fail on these after the traces are built
        if not getattr(args, name) > 0:
            raise UserError(f"--{name.replace('_', '-')} must be greater than 0, got {getattr(args, name)}")
    if args.from_run:  # a missing or malformed run is named now, not after the traces
        run_from(args.from_run)
    checks.require_ml("distill (training the student)")
    if args.out:
        checks.check_output_dir(args.out, "--out")
    from logicdistill.student.parallel import ranks  # torch: only once the [ml] extra is known to be there

    device = settings.resolved_device()
    # every option is named after its config field
    config = DistillConfig.from_dict(vars(args) | {"tasks": [t.name for t in tasks]})
    run_name = (tasks[0].name if len(tasks) == 1 else UNIVERSAL) + ("-kd" if args.kind == "kd" else "")
    # every process of `accelerate launch` must write into the first one's folder
    out = ranks(device).first_says(Path(args.out) if args.out else new_run_dir(run_name, args.seed))
    print(f"run folder: {out} (rerun with --out {out} to resume)")
    m = distill(tasks, config, out, progress=not args.quiet, settings=settings).metrics
    print(
        f"held-out selection accuracy: {m['heldout_accuracy']:.3f} (before tuning {m['heldout_accuracy_before']:.3f})"
    )
    print(f"by stage: {json.dumps(m['heldout_accuracy_by_stage'])}")
    forms = {f: round(v["accuracy"], 3) for f, v in m["heldout_accuracy_by_form"].items()}
    print(f"by condition form (held-out bases): {json.dumps(forms)}")
    print(f"retrieval: {json.dumps(m['retrieval_recall'])}")
    print(f"trained {m['train_examples']} examples in {m['train_seconds']:.0f} s; run saved to {out}")
    return 0


def _tasks(spec: str) -> list:
    """``--task A`` or ``--task A,B,C``: the tasks, each once."""
    from logicdistill.errors import UserError

    names = [n.strip() for n in spec.split(",") if n.strip()]
    if not names or len(set(names)) != len(names):
        raise UserError(f"--task takes task names separated by commas, each once; got {spec!r}")
    return [get_task(n) for n in names]


def _forms(spec: str) -> list[str]:
    """``--curriculum-forms single,negation``: known condition forms."""
    forms = [f.strip() for f in spec.split(",") if f.strip()]
    unknown = [f for f in forms if f not in FORMS]
    if not forms or unknown:
        raise argparse.ArgumentTypeError(f"unknown condition forms {unknown}; known: {', '.join(FORMS)}")
    return forms
