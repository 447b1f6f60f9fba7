"""The pursuit environments: ``logicdistill/Pursuit-v0`` and ``logicdistill/PursuitEmergency-v0``.

One step: the agent's joint action is first judged by the emergency rules in force (a forbidden
move becomes a stay and counts a violation), the pursuers move together (``rules.move_pursuers``),
a pursuer ending on an evader captures it, then each uncaptured evader moves once (twice during a
sprint), seeing the new pursuer cells; stepping onto a pursuer is a capture too.
Reward: +1 per evader captured this step, -1 per violation. The state lives on the unwrapped env
(``grid``, ``pursuers``, ``evaders``, ``captured``, ``step_count``, ``active_events``, ``history``)
for policies and renderers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from logicdistill.errors import UserError
from logicdistill.tasks.pursuit import render
from logicdistill.tasks.pursuit.emergencies import EmergencyEvent
from logicdistill.tasks.pursuit.evader_registry import make_evader
from logicdistill.tasks.pursuit.evaders import EvaderPolicy, solution_for
from logicdistill.tasks.pursuit.maps import NAMED_MAPS, GridMap, load_map
from logicdistill.tasks.pursuit.rules import ACTIONS, Cell, move, move_pursuers, pursuer_captures
from logicdistill.tasks.pursuit.scenarios import Scenario, load_scenario

DEFAULT_POOL = "default"  # the five named maps, one drawn per reset


class InvalidActionError(UserError, ValueError):
    """An action outside the environment's action space."""


@dataclass(frozen=True)
class Snapshot:
    """Where every unit stood after ``step`` steps."""

    step: int
    pursuers: tuple[Cell, ...]
    evaders: tuple[Cell, ...]
    captured: tuple[bool, ...]


class PursuitEnv(gym.Env):
    """P pursuers (the agent, jointly) chase E evaders on a grid map.

    ``map``: ``"default"`` (a pool of the named maps, one drawn per reset by the seeded generator),
    or one map spec accepted by ``maps.load_map``, or a GridMap. ``evader``: a registered evader
    name or an EvaderPolicy. ``oracle``: compute ``info["t_star"]`` at reset (2 vs 1 only).
    ``reset(options=...)`` takes ``"map"`` (a spec or GridMap of the same size), ``"pursuers"`` and
    ``"evaders"`` (lists of (row, col)) to set up a situation by hand; missing units are drawn.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}
    scenario: Scenario | None = None  # set by PursuitEmergencyEnv before PursuitEnv.__init__ runs
    events: tuple[EmergencyEvent, ...] = ()

    def __init__(
        self,
        map: str | GridMap = DEFAULT_POOL,  # noqa: A002 - the documented argument name
        n_pursuers: int = 2,
        n_evaders: int = 1,
        evader: str | EvaderPolicy = "optimal",
        max_steps: int = 60,
        render_mode: str | None = None,
        oracle: bool = True,
    ) -> None:
        for name, value, low in (
            ("n_pursuers", n_pursuers, 1),
            ("n_evaders", n_evaders, 1),
            ("max_steps", max_steps, 1),
        ):
            if not isinstance(value, (int, np.integer)) or value < low:
                raise UserError(f"{name} must be an integer >= {low}, got {value!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise UserError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.n_pursuers, self.n_evaders, self.max_steps = int(n_pursuers), int(n_evaders), int(max_steps)
        self.render_mode, self.oracle = render_mode, oracle
        self.map_spec = map if isinstance(map, str) else map.name
        self.pool = self._load_pool(map)
        for grid in self.pool:
            self._check_grid(grid)
        self.evader_policy = make_evader(evader) if isinstance(evader, str) else evader
        self.evader_policy.check(self)

        h, w = self.pool[0].height, self.pool[0].width

        def cells(n: int) -> spaces.Box:
            return spaces.Box(0, np.array([[h - 1, w - 1]] * n, dtype=np.int64), shape=(n, 2), dtype=np.int64)

        self.observation_space = spaces.Dict(
            {
                "pursuers": cells(self.n_pursuers),
                "evaders": cells(self.n_evaders),
                "captured": spaces.MultiBinary(self.n_evaders),
                "obstacles": spaces.MultiBinary((h, w)),
            }
        )
        self.action_space = spaces.MultiDiscrete([len(ACTIONS)] * self.n_pursuers)
        self.grid: GridMap | None = None
        self._done = True

    # -- setup -------------------------------------------------------------------------------
    def _load_pool(self, spec: str | GridMap) -> tuple[GridMap, ...]:
        if isinstance(spec, GridMap):
            return (spec,)
        pool = tuple(load_map(n) for n in NAMED_MAPS) if spec == DEFAULT_POOL else (load_map(spec),)
        if len({g.obstacles.shape for g in pool}) > 1:
            raise UserError(f"maps of the pool {spec!r} differ in size")
        return pool

    def _check_grid(self, grid: GridMap) -> None:
        if self.pool and grid.obstacles.shape != self.pool[0].obstacles.shape:
            raise UserError(
                f"map {grid.name!r} is {grid.height}x{grid.width}; this env's spaces are for "
                f"{self.pool[0].height}x{self.pool[0].width}"
            )
        if len(grid.free_cells) < self.n_pursuers + self.n_evaders:
            raise UserError(f"map {grid.name!r} has too few free cells for {self.n_pursuers + self.n_evaders} units")
        for event in self.events:
            event.validate(grid, self.n_pursuers)

    def _place(self, given: Any, count: int, taken: set[Cell], what: str) -> list[Cell] | None:
        if given is None:
            return None
        assert self.grid is not None
        try:
            placed = [(int(r), int(c)) for r, c in given]
        except (TypeError, ValueError):
            raise UserError(f"reset option {what!r} must be a list of (row, col) cells, got {given!r}") from None
        if len(placed) != count:
            raise UserError(f"reset option {what!r} needs {count} cells, got {len(placed)}")
        for cell in placed:
            if cell not in self.grid.index:
                raise UserError(f"reset option {what!r}: {cell} is not a free cell of map {self.grid.name!r}")
            if cell in taken:
                raise UserError(f"reset option {what!r}: {cell} is already occupied")
            taken.add(cell)
        return placed

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        super().reset(seed=seed)
        options = dict(options or {})
        unknown = sorted(set(options) - {"map", "pursuers", "evaders"})
        if unknown:
            raise UserError(f"unknown reset options {unknown}: use 'map', 'pursuers', 'evaders'")
        self.grid = self.pool[int(self.np_random.integers(len(self.pool)))]
        if options.get("map") is not None:
            spec = options["map"]
            self.grid = spec if isinstance(spec, GridMap) else load_map(str(spec))
            self._check_grid(self.grid)
        taken: set[Cell] = set()
        pursuers = self._place(options.get("pursuers"), self.n_pursuers, taken, "pursuers")
        evaders = self._place(options.get("evaders"), self.n_evaders, taken, "evaders")
        free = [c for c in self.grid.free_cells if c not in taken]
        drawn = [free[i] for i in self.np_random.permutation(len(free))[: self.n_pursuers + self.n_evaders]]
        self.pursuers = pursuers if pursuers is not None else drawn[: self.n_pursuers]
        self.evaders = evaders if evaders is not None else drawn[self.n_pursuers :][: self.n_evaders]
        self.captured = [False] * self.n_evaders
        self.step_count, self.violations, self._done = 0, 0, False
        self.evader_policy.reset(self, np.random.default_rng(int(self.np_random.integers(2**63))))
        self.t_star = self._oracle_t_star()
        self.history = [self._snapshot()]
        info = self._info([], 0)
        info["t_star"] = self.t_star
        return self._obs(), info

    def _oracle_t_star(self) -> int | None:
        if not self.oracle or self.n_pursuers != 2 or self.n_evaders != 1:
            return None
        return solution_for(self.grid).capture_time(self.pursuers[0], self.pursuers[1], self.evaders[0])

    # -- dynamics ----------------------------------------------------------------------------
    @property
    def active_events(self) -> list[EmergencyEvent]:
        """The events whose rules govern the next joint action."""
        return [e for e in self.events if e.is_active(self.step_count)]

    def count_violations(self, actions: Sequence[int]) -> int:
        """How many violations ``actions`` would count now (changes nothing: policies use it to look ahead)."""
        return self._apply_rules(self._check_action(actions))[1]

    def _apply_rules(self, actions: list[int]) -> tuple[list[int], int]:
        total = 0
        for event in self.active_events:
            actions, count = event.filter_pursuer_actions(self, actions)
            total += count
        return actions, total

    def _check_action(self, action: Any) -> list[int]:
        arr = np.asarray(action)
        if arr.shape != (self.n_pursuers,) or not np.issubdtype(arr.dtype, np.integer):
            raise InvalidActionError(f"action must be {self.n_pursuers} integers (one per pursuer), got {action!r}")
        if ((arr < 0) | (arr >= len(ACTIONS))).any():
            raise InvalidActionError(
                f"action values must be 0..{len(ACTIONS) - 1} ({', '.join(ACTIONS)}), got {action!r}"
            )
        return [int(a) for a in arr]

    def step(self, action: Any) -> tuple[dict, float, bool, bool, dict]:
        if self.grid is None:
            raise UserError("call reset() before step()")
        if self._done:
            raise UserError("the episode has ended; call reset() to start a new one")
        actions, violations = self._apply_rules(self._check_action(action))
        sprint = max((e.evader_moves_per_step(self) for e in self.active_events), default=1)
        self.pursuers = list(move_pursuers(self.grid.obstacles, self.pursuers, actions))
        caught = [
            k
            for k in range(self.n_evaders)
            if not self.captured[k] and pursuer_captures(self.pursuers, self.evaders[k])
        ]
        for k in caught:
            self.captured[k] = True
        for k in range(self.n_evaders):
            for _ in range(sprint):
                if self.captured[k]:
                    break
                choice = int(self.evader_policy.act(self, k))
                if not 0 <= choice < len(ACTIONS):
                    raise RuntimeError(f"evader policy {self.evader_policy.name!r} returned action {choice}")
                self.evaders[k] = move(self.grid.obstacles, self.evaders[k], choice)
                if pursuer_captures(self.pursuers, self.evaders[k]):
                    self.captured[k] = True
                    caught.append(k)
        self.step_count += 1
        self.violations += violations
        self.history.append(self._snapshot())
        terminated = all(self.captured)
        truncated = not terminated and self.step_count >= self.max_steps
        self._done = terminated or truncated
        return self._obs(), float(len(caught) - violations), terminated, truncated, self._info(caught, violations)

    # -- views -------------------------------------------------------------------------------
    def _snapshot(self) -> Snapshot:
        return Snapshot(self.step_count, tuple(self.pursuers), tuple(self.evaders), tuple(self.captured))

    def _obs(self) -> dict[str, np.ndarray]:
        assert self.grid is not None
        return {
            "pursuers": np.array(self.pursuers, dtype=np.int64).reshape(self.n_pursuers, 2),
            "evaders": np.array(self.evaders, dtype=np.int64).reshape(self.n_evaders, 2),
            "captured": np.array(self.captured, dtype=np.int8),
            "obstacles": self.grid.obstacles.astype(np.int8),
        }

    def _info(self, caught: list[int], violations: int) -> dict[str, Any]:
        assert self.grid is not None
        info: dict[str, Any] = {
            "map": self.grid.name,
            "step": self.step_count,
            "captured_this_step": sorted(caught),
            "violations": self.violations,
            "violations_this_step": violations,
            "active_rules": [e.rule_text() for e in self.active_events],
        }
        arrived = [e.rule_text() for e in self.events if e.step == self.step_count]
        if arrived:
            info["new_rule"] = "\n".join(arrived)
        return info

    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None or self.grid is None:
            return None
        if self.render_mode == "ansi":
            return f"map {self.grid.name}, step {self.step_count}/{self.max_steps}\n{render.ascii_frame(self)}"
        return np.asarray(render.png_frame(self).convert("RGB"), dtype=np.uint8)


class PursuitEmergencyEnv(PursuitEnv):
    """PursuitEnv with a scenario of emergency events (a shipped name, a JSON path, or a Scenario).

    ``map=None`` uses the scenario's map (or the default pool when the scenario names none).
    """

    def __init__(
        self, scenario: str | Path | Scenario = "danger_zone", map: str | GridMap | None = None, **kwargs: Any
    ) -> None:  # noqa: A002
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.events = self.scenario.events
        super().__init__(map=map if map is not None else (self.scenario.map or DEFAULT_POOL), **kwargs)
