"""The HTTP routes: each one a thin call into the warm host, answering the one contract with
this door's guidance (next actions as requests, artifacts as URLs)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from runner.app.answer import HTTP, answer
from runner.app.people import Actor
from runner.app.warm import RunService
from runner.engine.result import RunResult
from runner.service.models import (
    PLAIN,
    AbandonRequest,
    FlowBody,
    Health,
    Queued,
    ResumeRequest,
    RunRequest,
    contract_ref,
)
from runner.store.runs import RunStatus

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"content": {"application/json": {"schema": contract_ref("failure")}},
           "description": "An error: kind, code and message"}
    for code in (400, 401, 403, 404, 409, 413, 422, 500, 503)}
RUN = {200: {"content": {"application/json": {"schema": contract_ref("run_result")}},
             "description": "The run"}, **ERRORS}
RUNS = {200: {"content": {"application/json": {"schema": {
    "type": "array", "items": contract_ref("run_result")}}}, "description": "Runs"}, **ERRORS}

RunId = Annotated[str, Path(max_length=64, pattern=PLAIN)]
FileName = Annotated[str, Path(max_length=200, pattern=PLAIN)]

router = APIRouter()


def _service(request: Request) -> RunService:
    service: RunService = request.app.state.service
    return service


def actor_of(request: Request) -> Actor:
    """Who is asking: the operator the guard found for the bearer token, else the machine
    that holds the shared API token (or nobody, on an open loopback service)."""
    found = getattr(request.state, "actor", None)
    return found if isinstance(found, Actor) else Actor("api", "http")


def body(result: RunResult) -> dict[str, Any]:
    return answer(result, HTTP)


@router.get("/health", response_model=Health, tags=["service"])
def health(request: Request) -> dict[str, Any]:
    """Liveness: the process answers."""
    return {"status": "ok", **_service(request).stats()}


@router.get("/ready", response_model=Health, responses={503: {"model": Health}}, tags=["service"])
def ready(request: Request) -> JSONResponse:
    """Readiness: the browser is up and the workers take work (503 while stopping)."""
    stats = _service(request).stats()
    return JSONResponse({"status": "ready" if stats["ready"] else "not_ready", **stats},
                        status_code=200 if stats["ready"] else 503)


@router.get("/flows", response_model=list[FlowBody], responses=ERRORS, tags=["flows"])
def list_flows(request: Request) -> list[dict[str, str]]:
    return _service(request).list_flows()


@router.post("/runs", responses=RUN, tags=["runs"])
async def create_run(run: RunRequest, request: Request) -> JSONResponse:
    """Run a flow for a ticket and answer once it finishes or pauses. The same ticket and flow
    answer with the same run (``existing: true``) and start nothing."""
    future = _service(request).run_flow(run.flow, run.ticket,
                                        {"domain": run.domain, **run.inputs}, actor_of(request))
    return JSONResponse(body(await asyncio.wrap_future(future)))


@router.get("/runs", responses=RUNS, tags=["runs"])
def list_runs(request: Request,
              ticket: Annotated[str | None, Query(max_length=200, pattern=PLAIN)] = None,
              flow: Annotated[str | None, Query(max_length=64, pattern=PLAIN)] = None,
              status: Annotated[RunStatus | None, Query()] = None,
              limit: Annotated[int, Query(ge=1, le=200)] = 50) -> JSONResponse:
    """Runs, newest first, filtered by ticket, flow and status (an unknown status is a 422)."""
    found = _service(request).list_runs(ticket=ticket, flow=flow, limit=limit,
                                        status=status.value if status else None)
    return JSONResponse([body(r) for r in found])


@router.get("/runs/{run_id}", responses=RUN, tags=["runs"])
def get_run(run_id: RunId, request: Request) -> JSONResponse:
    return JSONResponse(body(_service(request).get_run(run_id)))


@router.post("/runs/{run_id}/resume", responses=RUN, tags=["runs"])
async def resume_run(run_id: RunId, request: Request,
                     resume: ResumeRequest | None = None) -> JSONResponse:
    """Continue a paused or failed run from its step, with the inputs it asked for (no body:
    no inputs, e.g. a waiting run checks again now)."""
    inputs = dict(resume.inputs) if resume else {}
    future = _service(request).resume_run(run_id, inputs, actor_of(request))
    return JSONResponse(body(await asyncio.wrap_future(future)))


@router.post("/runs/{run_id}/abandon", responses=RUN, tags=["runs"])
def abandon_run(run_id: RunId, abandon: AbandonRequest, request: Request) -> JSONResponse:
    """Give a paused or failed run up for good (a second time changes nothing); refused while
    one of its side effects is unconfirmed, and for a finished run. Side effects already done
    stay done."""
    return JSONResponse(body(_service(request).abandon_run(run_id, abandon.reason,
                                                           actor_of(request))))


@router.get("/runs/{run_id}/artifacts/{name}", tags=["runs"],
            responses={200: {"content": {"image/png": {}, "application/zip": {}}}, **ERRORS})
def artifact(run_id: RunId, name: FileName, request: Request) -> Response:
    """A file of the run's artifacts by name (the last part of a URL in ``artifacts``), e.g.
    the captcha PNG a ``needs_input`` run asks to read, from whichever machine drove it."""
    content, media_type = _service(request).artifact(run_id, name)
    return Response(content, media_type=media_type,
                    headers={"cache-control": "private, no-store"})


@router.post("/scheduler/tick", response_model=Queued, responses=ERRORS, tags=["service"])
def tick(request: Request) -> dict[str, int]:
    """Queue every due waiting run now, instead of at the scheduler's next tick."""
    return {"queued": _service(request).queue_due()}
