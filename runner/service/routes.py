"""The HTTP routes: each one a thin call into RunService, answering the CLI's JSON."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse

from runner.app.decide import record_resume
from runner.app.people import Actor
from runner.engine.result import RunResult
from runner.service.core import RunService
from runner.service.models import (
    AbandonRequest,
    ErrorBody,
    FlowBody,
    Health,
    Queued,
    ResumeRequest,
    RunBody,
    RunRequest,
    run_body,
)

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 404, 409, 413, 422, 500, 503)}
RUN = {200: {"model": RunBody}, **ERRORS}

router = APIRouter()


def _service(request: Request) -> RunService:
    service: RunService = request.app.state.service
    return service


def _actor(request: Request) -> Actor:
    """The operator whose bearer token this is; else the machine with the shared token."""
    actor = getattr(request.state, "actor", None)
    return actor if isinstance(actor, Actor) else Actor("api", "http")


def _run(result: RunResult) -> JSONResponse:
    return JSONResponse(run_body(result))


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
async def create_run(body: RunRequest, request: Request) -> JSONResponse:
    """Run a flow for a ticket and answer once it finishes or pauses. The same ticket and flow
    answer with the same run (``existing: true``) and start nothing."""
    future = _service(request).run_flow(body.flow, body.ticket,
                                        {"domain": body.domain, **body.inputs})
    return _run(await asyncio.wrap_future(future))


@router.get("/runs", responses={200: {"model": list[RunBody]}, **ERRORS}, tags=["runs"])
def list_runs(request: Request,
              ticket: Annotated[str | None, Query(max_length=200)] = None,
              flow: Annotated[str | None, Query(max_length=64)] = None,
              status: Annotated[str | None, Query(max_length=20)] = None,
              limit: Annotated[int, Query(ge=1, le=200)] = 50) -> JSONResponse:
    """Runs, newest first, filtered by ticket, flow and status."""
    found = _service(request).list_runs(ticket=ticket, flow=flow, status=status, limit=limit)
    return JSONResponse([run_body(r) for r in found])


@router.get("/runs/{run_id}", responses=RUN, tags=["runs"])
def get_run(run_id: str, request: Request) -> JSONResponse:
    return _run(_service(request).get_run(run_id))


@router.post("/runs/{run_id}/resume", responses=RUN, tags=["runs"])
async def resume_run(run_id: str, body: ResumeRequest, request: Request) -> JSONResponse:
    """Continue a paused or failed run from its step, with the inputs it asked for."""
    service = _service(request)
    future = service.resume_run(run_id, dict(body.inputs))
    record_resume(service.store, _actor(request), run_id, dict(body.inputs))
    return _run(await asyncio.wrap_future(future))


@router.post("/runs/{run_id}/abandon", responses=RUN, tags=["runs"])
def abandon_run(run_id: str, body: AbandonRequest, request: Request) -> JSONResponse:
    """Give a paused or failed run up for good (a second time changes nothing); refused while
    one of its side effects is unconfirmed. Side effects already done stay done."""
    service = _service(request)
    result = service.abandon_run(run_id, body.reason)
    actor = _actor(request)
    service.store.decisions.record(actor.name, actor.via, "abandon", run_id,
                                   {"reason": body.reason})
    return _run(result)


@router.get("/runs/{run_id}/artifacts/{name}", tags=["runs"],
            responses={200: {"content": {"image/png": {}, "application/zip": {}}}, **ERRORS})
def artifact(run_id: str, name: str, request: Request) -> FileResponse:
    """A file of the run's artifact folder by name (the file name of a path in
    ``artifacts``), e.g. the captcha PNG a ``needs_input`` run asks to read."""
    return FileResponse(_service(request).artifact(run_id, name))


@router.post("/scheduler/tick", response_model=Queued, responses=ERRORS, tags=["service"])
def tick(request: Request) -> dict[str, int]:
    """Queue every due waiting run now, instead of at the scheduler's next tick."""
    return {"queued": _service(request).queue_due()}
