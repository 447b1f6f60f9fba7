"""logicdistill: Logic Distillation for small language models.

Importing the package registers its Gymnasium environments (``logicdistill/Pursuit-v0``,
``logicdistill/PursuitEmergency-v0``, ``logicdistill/TwentyOne-v0``).
"""

from __future__ import annotations

import os

# Torch's OpenMP threads must wait passively at their barriers, or a core taken by another process makes
# them spin through their time slices (measured: 5x slower beside other jobs; see logicdistill/compute.py).
# OpenMP reads this once, when torch loads it, so it is set here, before anything imports torch; a policy
# the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import gymnasium as gym  # noqa: E402

__version__ = "0.1.0"

# The pursuit envs truncate at their own step limit, so no TimeLimit wrapper is registered.
_ENVS = {
    "logicdistill/Pursuit-v0": "logicdistill.tasks.pursuit.env:PursuitEnv",
    "logicdistill/PursuitEmergency-v0": "logicdistill.tasks.pursuit.env:PursuitEmergencyEnv",
    "logicdistill/TwentyOne-v0": "logicdistill.tasks.blackjack.env:TwentyOneEnv",
}
for _env_id, _entry in _ENVS.items():
    if _env_id not in gym.registry:
        gym.register(id=_env_id, entry_point=_entry)
