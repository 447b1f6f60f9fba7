"""The ``llm`` evader: an LLM endpoint plays the evader, as in the paper.

``PursuitEnv(evader="llm:openai:MODEL[@URL]")`` (or ``evader="llm"`` with ``LOGICDISTILL_EVADER=openai:...``).
Each move is one chat request through the teacher client (cached, retried). A reply that names no move
falls back to the greedy evader's move and is counted in ``invalid_replies``.
"""

from __future__ import annotations

import os
import re
from typing import Any

from logicdistill.errors import UserError
from logicdistill.tasks.pursuit.evaders import EvaderPolicy, GreedyEvader
from logicdistill.tasks.pursuit.render import ascii_frame
from logicdistill.tasks.pursuit.rules import ACTIONS, RULES_TEXT, move

PursuitEnv = Any  # tasks.pursuit.env.PursuitEnv, named only in annotations: env imports this module


class LLMEvader(EvaderPolicy):
    name = "llm"

    def __init__(self, spec: str | None = None, client: Any = None):
        from logicdistill.llm.spec import make_client

        spec = spec or os.environ.get("LOGICDISTILL_EVADER")
        if client is None and not spec:
            raise UserError("the llm evader needs an endpoint: evader='llm:openai:MODEL[@URL]' or LOGICDISTILL_EVADER")
        self.client = client or make_client(spec)
        self.fallback = GreedyEvader()
        self.invalid_replies = 0

    def act(self, env: PursuitEnv, index: int) -> int:
        from logicdistill.llm.prompts import render_prompt

        here = env.evaders[index]
        options = ", ".join(f"{a} -> {move(env.grid.obstacles, here, i)}" for i, a in enumerate(ACTIONS))
        prompt = render_prompt(
            "evader_move",
            rules=RULES_TEXT,
            board=ascii_frame(env),
            evader=tuple(here),
            pursuers=", ".join(str(tuple(p)) for p in env.pursuers),
            options=options,
        )
        reply = self.client.chat([{"role": "user", "content": prompt}])
        action = parse_move(reply)
        if action is None:
            self.invalid_replies += 1
            self.fallback.rng = self.rng
            return self.fallback.act(env, index)
        return action


def parse_move(reply: str) -> int | None:
    """The first move word in the reply (None when there is none)."""
    match = re.search(r"\b(up|down|left|right|stay)\b", reply.lower())
    return ACTIONS.index(match.group(1)) if match else None
