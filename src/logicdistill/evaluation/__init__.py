"""Play episodes with paired seeds and turn them into metrics, tables and SPEC §6 JSON."""

from logicdistill.evaluation.report import format_table, result_dict, write_json
from logicdistill.evaluation.runner import EvalResult, evaluate, make_env, make_policy, play_episode

__all__ = ["EvalResult", "evaluate", "format_table", "make_env", "make_policy", "play_episode", "result_dict", "write_json"]
