"""The bodies of the HTTP API (SPEC §8), as pydantic models: they check requests and document /docs."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StringConstraints

# A text value of an environment option over HTTP: a short name (no dot, no slash: never a file on the server).
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_:-]{1,64}$")]


class DecideRequest(BaseModel):
    """``{"state": <the task's state JSON>}``; ``task`` and ``policy`` default to the served ones."""

    model_config = ConfigDict(extra="forbid")
    state: dict[str, Any] = Field(description="the task's state JSON (its schema: GET /v1/tasks/{task})")
    task: str | None = Field(None, max_length=64)
    policy: str | None = Field(None, max_length=200)


class Candidate(BaseModel):
    name: str
    p: float


class StageAnswer(BaseModel):
    stage: str
    candidates: list[Candidate]
    chosen: str | None
    forced: bool = False
    result: Any = None
    ok: bool = True
    error: str | None = None
    facts: dict[str, bool] = Field(default_factory=dict)


class DecideAnswer(BaseModel):
    action: Any = Field(description="the action; null when no stage produced one (play the task's fallback)")
    stages: list[StageAnswer]
    seconds: float
    task: str
    policy: str
    base_version: int
    new_functions: list[str] = Field(default_factory=list, description="functions the rules in force added")
    error: str | None = None


class BatchStats(BaseModel):
    batches: int
    decisions: int
    mean_batch: float
    busy_s: float = Field(description="seconds the decision thread spent deciding")


class Health(BaseModel):
    status: str
    task: str
    policy: str


class Stats(BaseModel):
    batching: dict[str, BatchStats] = Field(description="per loaded policy (task/policy): the batches decided so far")


class TaskInfo(BaseModel):
    name: str
    description: str
    stages: list[dict[str, str]]
    state_schema: dict[str, Any]
    state_format: str = ""
    policies: list[str]
    scenarios: list[str] = Field(default_factory=list)
    options: dict[str, str] = Field(
        default_factory=dict, description="the task's environment options (name -> help), for an episode's env_args"
    )


class ErrorBody(BaseModel):
    error: str


class EpisodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: str | None = Field(None, max_length=64)
    policies: list[str] = Field(default_factory=list, max_length=4)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    scenario: str | None = Field(None, max_length=64)
    # The task's own environment options (GET /v1/tasks/{task}: options), as a plugin's rule step or a map name:
    # numbers, booleans and short names, never a file path (the server would read its own disk).
    env_args: dict[str, StrictBool | StrictInt | StrictFloat | EnvName] = Field(default_factory=dict, max_length=16)
