"""``logicdistill distill``: build traces, fine-tune the student with LoRA, save a run folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from logicdistill import compute
from logicdistill.cli import checks
from logicdistill.tasks import get_task, task_names


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from logicdistill.distillation.pipeline import DistillConfig

    d = DistillConfig()
    p = subparsers.add_parser(
        "distill",
        help="fine-tune the student on the function base (traces + LoRA); resumable with the same --out",
    )
    p.add_argument("--task", required=True, help=f"one of: {', '.join(task_names())}")
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
    p.add_argument("--synthetic-examples", type=int, default=d.synthetic_examples, help="varied synthetic examples")
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
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--k", type=int, default=d.k, help="candidates retrieved per stage")
    p.add_argument("--retriever", default=d.retriever, choices=["bm25", "dense", "fused"])
    p.add_argument("--embedder", default=d.embedder, choices=["minilm", "hashing"])
    p.add_argument("--quiet", action="store_true", help="no progress output")
    compute.add_options(p, "held-out prompts scored per forward pass (default: sized for the device)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from logicdistill.distillation.pipeline import DistillConfig, distill
    from logicdistill.errors import UserError
    from logicdistill.student.runs import new_run_dir

    task = get_task(args.task)
    chosen = compute.from_args(args)
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
    for name in ("synthetic_examples", "override_examples"):
        if getattr(args, name) < 0:
            raise UserError(f"--{name.replace('_', '-')} must not be negative")
    for name in ("lr", "lr_decay"):  # LoRA would only fail on these after the traces are built
        if not getattr(args, name) > 0:
            raise UserError(f"--{name.replace('_', '-')} must be greater than 0, got {getattr(args, name)}")
    checks.require_ml("distill (training the student)")
    if args.out:
        checks.check_output_dir(args.out, "--out")
    from logicdistill.student.parallel import ranks  # torch: only once the [ml] extra is known to be there

    device = compute.resolve_device(chosen.device)
    config = DistillConfig.from_dict(vars(args))  # every option is named after its config field
    run_name = task.name if args.kind == "ld" else f"{task.name}-kd"
    # every process of `accelerate launch` must write into the first one's folder
    out = ranks(device).first_says(Path(args.out) if args.out else new_run_dir(run_name, args.seed))
    print(f"run folder: {out} (rerun with --out {out} to resume)")
    options = {"device": device, "rows": args.batch, "dtype": chosen.precision}
    m = distill(task, config, out, progress=not args.quiet, **options).metrics
    print(
        f"held-out selection accuracy: {m['heldout_accuracy']:.3f} (before tuning {m['heldout_accuracy_before']:.3f})"
    )
    print(f"by stage: {json.dumps(m['heldout_accuracy_by_stage'])}")
    print(f"retrieval: {json.dumps(m['retrieval_recall'])}")
    print(f"trained {m['train_examples']} examples in {m['train_seconds']:.0f} s; run saved to {out}")
    return 0
