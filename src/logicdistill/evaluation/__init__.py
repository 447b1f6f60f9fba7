"""Play episodes with paired seeds and turn them into metrics, tables and results JSON."""

from logicdistill.evaluation.report import format_table, result_dict, write_json
from logicdistill.evaluation.runner import (
    EvalResult,
    check_policy_name,
    evaluate,
    make_env,
    make_policy,
    play_episode,
    policy_spec_for,
    policy_specs,
)

__all__ = [
    "EvalResult",
    "check_policy_name",
    "policy_spec_for",
    "policy_specs",
    "evaluate",
    "format_table",
    "make_env",
    "make_policy",
    "play_episode",
    "result_dict",
    "write_json",
]
