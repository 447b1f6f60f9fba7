"""The HTTP routes (SPEC §8): decisions, health, task schemas, the viewer and its episodes.

Every refusal is ``{"error": "one line"}`` with its 4xx (5xx for a deadline or a bug), never a traceback.
Bodies are read by hand up to the cap (``max_body``) before they are parsed, so an oversized or endless body
costs the server no more than the cap, and malformed JSON is a 400 rather than a validation dump.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from logicdistill.plugins import one_line
from logicdistill.serve import page
from logicdistill.serve.episodes import MAX_POLICIES, EpisodeBook
from logicdistill.serve.schemas import DecideAnswer, DecideRequest, EpisodeRequest, ErrorBody, Health, Stats, TaskInfo
from logicdistill.serve.service import DecisionService, RequestError

MAX_BODY = 1 << 20  # 1 MiB: a pursuit state with a full 60-step history is ~10 KiB
BODY_TIMEOUT_S = 30.0  # a client that trickles its body (or stops mid-way) is dropped after this long
MAX_IN_FLIGHT = 512  # requests at once: bounds the memory bodies may take (512 x MAX_BODY at worst)
MAX_DEPTH = 32  # a pursuit state nests 5 levels; deeper bodies are refused before anything walks them
OPEN_PATHS = ("/", "/v1/health", "/docs", "/openapi.json", "/docs/oauth2-redirect", "/favicon.ico")
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "malformed JSON"),
        (401, "missing or wrong API key"),
        (404, "unknown task or policy"),
        (408, "a body that did not arrive in time"),
        (413, "body over the cap"),
        (415, "a compressed body (Content-Encoding)"),
        (422, "a body or state that breaks its schema, an unknown rule kind"),
        (503, "shutting down, too many requests at once, or too many student models loaded"),
        (504, "no decision within the deadline"),
    )
}


MAX_ERROR_CHARS = 300  # a refusal echoes what it refuses: never all of a hostile name or body


def error(status: int, message: str) -> JSONResponse:
    line = " ".join(str(message).split()) or "error"
    if len(line) > MAX_ERROR_CHARS:
        line = line[: MAX_ERROR_CHARS - 3] + "..."
    return JSONResponse({"error": line}, status_code=status)


async def read_body(request: Request, model: type[BaseModel], max_body: int, timeout_s: float = BODY_TIMEOUT_S) -> Any:
    """The request body as ``model``, read up to ``max_body`` bytes within ``timeout_s``; a RequestError
    otherwise."""
    try:
        raw = await asyncio.wait_for(_read_raw(request, max_body), timeout_s)
    except asyncio.TimeoutError:
        raise RequestError(408, f"the body did not arrive within {timeout_s:g} s") from None
    data = parse_json(raw)
    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise RequestError(422, f"{where}: {first.get('msg', 'invalid')} ({len(err.errors())} problem(s))") from None


async def _read_raw(request: Request, max_body: int) -> bytes:
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise RequestError(415, f"Content-Encoding {encoding[:40]!r} is not accepted: send the JSON as it is")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body:
        raise RequestError(413, f"the body is {int(declared)} bytes; the limit is {max_body}")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body:
                raise RequestError(413, f"the body is over the {max_body}-byte limit")
            chunks.append(chunk)
    except ClientDisconnect:
        raise RequestError(400, "the client disconnected before sending the whole body") from None
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    """A request body as JSON data; a 400 RequestError for anything that is not plain, shallow JSON.

    Python's parser accepts NaN and Infinity (not JSON) and gives up on deep nesting or huge integers with a
    RecursionError or ValueError (a 500 and a traceback in the log, were they let through).
    """

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        data = json.loads(raw or b"null", parse_constant=constant)
    except RecursionError:
        raise RequestError(400, f"malformed JSON: nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as err:  # JSONDecodeError, a bad constant, an int over 4300 digits
        if "integer string conversion" in str(err):
            raise RequestError(400, "malformed JSON: an integer of more than 4300 digits") from None
        raise RequestError(400, f"malformed JSON: {one_line(err)}") from None
    if _depth_over(data, MAX_DEPTH):
        raise RequestError(400, f"malformed JSON: nested deeper than {MAX_DEPTH} levels")
    return data


def _depth_over(data: Any, limit: int) -> bool:
    """Whether ``data`` nests lists and objects more than ``limit`` levels (no recursion: any depth is safe)."""
    level = [data]
    for _ in range(limit + 1):
        level = [c for v in level for c in (v.values() if isinstance(v, dict) else v if isinstance(v, list) else ())]
        if not level:
            return False
    return True


def create_app(
    service: DecisionService,
    api_key: str | None = None,
    max_body: int = MAX_BODY,
    body_timeout_s: float = BODY_TIMEOUT_S,
    max_in_flight: int = MAX_IN_FLIGHT,
) -> FastAPI:
    app = FastAPI(
        title="logicdistill serve",
        description="Logic Distillation decisions over HTTP: send a task's state JSON, get the action and every "
        "stage (candidates with probabilities, the chosen function, its result). The viewer is at /.",
        version="1",
        responses=_ERRORS,
    )
    episodes = EpisodeBook()
    starting = asyncio.Lock()
    app.state.service, app.state.episodes = service, episodes

    in_flight = 0

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Any:
        nonlocal in_flight
        if in_flight >= max_in_flight:
            return error(503, f"the server is answering {in_flight} requests already; try again shortly")
        in_flight += 1  # the event loop's one thread: no lock needed
        try:
            return await _guarded(request, call_next)
        finally:
            in_flight -= 1

    async def _guarded(request: Request, call_next: Any) -> Any:
        if api_key and request.url.path not in OPEN_PATHS and request.url.path.startswith("/v1/"):
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {api_key}".encode()):
                return error(401, "missing or wrong API key: send Authorization: Bearer KEY")
        try:
            return await call_next(request)
        except RequestError as err:
            return error(err.status, err.message)

    @app.exception_handler(RequestError)
    async def refused(request: Request, err: RequestError) -> JSONResponse:
        return error(err.status, err.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        return error(err.status_code, str(err.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())) or "request"
        return error(422, f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(Exception)
    async def bug(request: Request, err: Exception) -> JSONResponse:  # never a traceback in a body
        return error(500, f"internal error: {one_line(err)}")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def viewer() -> HTMLResponse:
        return HTMLResponse(page.render(live={"task": service.task_name, "policy": service.policy_name}))

    @app.get("/v1/health", response_model=Health)
    async def health() -> dict[str, Any]:
        if service.closed:
            raise RequestError(503, "the server is shutting down")
        return {"status": "ok", "task": service.task_name, "policy": service.policy_name}

    @app.get("/v1/stats", response_model=Stats)
    async def stats() -> dict[str, Any]:
        """How the dynamic batching went so far: batches, decisions, mean batch size, seconds spent deciding."""
        return {"batching": {f"{s.task.name}/{s.name}": s.batcher.stats() for s in service.loaded()}}

    @app.post(
        "/v1/decide",
        response_model=DecideAnswer,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DecideRequest"}}},
            }
        },
    )
    async def decide(request: Request) -> dict[str, Any]:
        body = await read_body(request, DecideRequest, max_body, body_timeout_s)
        return await service.decide(body.state, body.task, body.policy)

    @app.get("/v1/tasks")
    async def tasks() -> dict[str, Any]:
        from logicdistill.tasks import task_names

        return {"tasks": task_names(), "served": service.task_name, "policy": service.policy_name}

    @app.get("/v1/tasks/{task}", response_model=TaskInfo)
    async def task_info(task: str) -> dict[str, Any]:
        return _task_info(service.task(task))

    @app.post("/v1/episodes")
    async def new_episode(request: Request) -> dict[str, Any]:
        body = await read_body(request, EpisodeRequest, max_body, body_timeout_s)
        loop = asyncio.get_running_loop()
        async with starting:  # one at a time: the models of episodes being built are not yet counted
            episode = await loop.run_in_executor(None, _start_episode, service, episodes, body)
        return await _on_decision_thread(service, episode.start)

    @app.post("/v1/episodes/{episode_id}/step")
    async def step_episode(episode_id: str) -> dict[str, Any]:
        episode = episodes.get(episode_id)
        if episode is None:
            raise RequestError(404, f"no episode {episode_id!r} (episodes live in memory, {episodes.limit} at most)")
        return await _on_decision_thread(service, episode.advance)

    # The schema FastAPI would derive from a typed parameter, declared by hand since the body is read by hand.
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            schema.setdefault("components", {}).setdefault("schemas", {})["DecideRequest"] = (
                DecideRequest.model_json_schema()
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.router.on_shutdown.append(episodes.close)
    return app


async def _on_decision_thread(service: DecisionService, work: Any) -> dict[str, Any]:
    """Viewer steps run on the served policy's decision thread: they may share its student."""
    served = service.served(None, None)
    try:
        return await asyncio.wait_for(asyncio.wrap_future(served.batcher.call(work)), service.deadline_s)
    except asyncio.TimeoutError:
        raise RequestError(504, f"no step within the {service.deadline_s:g} s deadline") from None
    except (ValueError, TypeError) as err:
        raise RequestError(422, one_line(err)) from None


def _task_info(task: Any) -> dict[str, Any]:
    from logicdistill.agent.registry import names
    from logicdistill.evaluation.runner import policy_specs

    scenarios: list[str] = []
    if task.name == "pursuit":
        from logicdistill.tasks.pursuit.scenarios import scenario_names

        scenarios = scenario_names()
    try:
        state_format = task.state_format()
    except Exception:  # a task without a function-base state: the schema says what there is
        state_format = ""
    return {
        "name": task.name,
        "description": task.description,
        "stages": [{"name": s.name, "produces": s.produces} for s in task.stages],
        "state_schema": task.state_schema(),
        "state_format": state_format,
        "policies": sorted(names(policy_specs(task).values())),
        "scenarios": scenarios,
        "options": task.env_options(),
    }


def _start_episode(service: DecisionService, book: EpisodeBook, body: EpisodeRequest) -> Any:
    """A viewer episode: each policy with its own environment on the same seed (ld policies share the served
    student when the served policy has one)."""
    from logicdistill.errors import UserError
    from logicdistill.evaluation.runner import make_env, make_policy

    task = service.task(body.task)
    names = body.policies or [service.policy_name]
    if len(names) > MAX_POLICIES:
        raise RequestError(422, f"at most {MAX_POLICIES} policies side by side")
    if body.scenario and not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]*", body.scenario):
        # the command line also takes a scenario's JSON file; over HTTP that would open the server's files
        raise RequestError(422, f"scenario {body.scenario[:64]!r}: a scenario's name, not a path")
    kwargs: dict[str, Any] = {"scenario": body.scenario} if body.scenario else {}
    offered = task.env_options()
    unknown = sorted(set(body.env_args) - set(offered))
    if unknown:
        known = ", ".join(offered) or "none"
        raise RequestError(422, f"task {task.name!r} has no environment option {unknown[0]!r} (it has: {known})")
    kwargs.update(body.env_args)
    served = service.served(None, None)
    student = getattr(served.policy, "student", None)
    players = []
    try:
        for name in names:
            options = service.kwargs_for(task, name)
            # ld and ld-generate carry the served run's adapter: they share the served student
            if student is not None and name in ("ld", "ld-generate") and "student" not in options:
                options["student"] = student
            players.append((name, make_policy(task, name, service.settings, **options), make_env(task, kwargs)))
    except UserError as err:  # make_env turns an option value the env refuses into one too
        for _, policy, env in players:
            policy.close()
            env.close()
        raise RequestError(422 if body.scenario or body.env_args else 404, str(err)) from None
    return book.add(task, body.seed, players, shared=student)
