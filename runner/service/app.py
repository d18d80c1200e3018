"""The ASGI app: the HTTP routes, the MCP endpoint (streamable HTTP at /mcp), one guard in
front of both, and errors as the CLI's error JSON with HTTP statuses by error kind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from runner.app import operators as app_operators
from runner.app.options import ServiceOptions
from runner.app.people import Actor
from runner.app.warm import RunService
from runner.console.web import mount_console
from runner.error_codes import ErrorCode, Kind
from runner.errors import RunnerError
from runner.observability.exposition import mount as mount_metrics
from runner.service.docs import mount_docs
from runner.service.guard import Guard
from runner.service.models import contract_components
from runner.service.routes import router

STATUS_BY_KIND = {Kind.INPUT: 400, Kind.BUSINESS: 409, Kind.CONSOLE: 503, Kind.DRIFT: 500}
NOT_FOUND = (ErrorCode.UNKNOWN_RUN, ErrorCode.UNKNOWN_ARTIFACT, ErrorCode.UNKNOWN_FLOW)
CONFLICT = (ErrorCode.RUN_IN_PROGRESS, ErrorCode.RUN_FINISHED, ErrorCode.SIDE_EFFECT_UNCONFIRMED,
            ErrorCode.ANSWER_NOT_ASKED)
HTTP_CODES = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.METHOD_NOT_ALLOWED}


UNPROCESSABLE = (ErrorCode.BAD_FILTER,)


def error_status(error: RunnerError) -> int:
    if error.code in UNPROCESSABLE:
        return 422
    if error.code in NOT_FOUND:
        return 404
    if error.code in CONFLICT:
        return 409
    return STATUS_BY_KIND.get(error.kind, 500)


def _error(status: int, code: ErrorCode, message: str) -> JSONResponse:
    return JSONResponse({"status": "failed", "error": {"kind": str(code.kind), "code": str(code),
                                                       "message": message}}, status_code=status)


async def _runner_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RunnerError)
    return JSONResponse({"status": "failed", "error": exc.to_dict()},
                        status_code=error_status(exc))


async def _bad_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return _error(422, ErrorCode.BAD_REQUEST, where)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, ErrorCode.HTTP_ERROR)
    return _error(exc.status_code, code, str(exc.detail))


def create_app(options: ServiceOptions, service: RunService | None = None) -> FastAPI:
    """``service`` is started by the app's lifespan and stopped when the server stops."""
    from runner.mcp.tools import build_mcp

    service = service or RunService(options)
    mcp = build_mcp(service)
    mcp_app = mcp.streamable_http_app(streamable_http_path="/mcp", host=options.host)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(service.start)
        try:
            async with mcp.session_manager.run():
                yield
        finally:
            app.state.left_running = await anyio.to_thread.run_sync(service.stop)

    app = FastAPI(title="certrunner", version="1", lifespan=lifespan, docs_url=None,
                  redoc_url=None, description=(
        "Cancel and refund SSL certificates on vendor consoles, one run per support ticket. "
        "Run bodies are the CLI's JSON contract; MCP (streamable HTTP) is served at /mcp; "
        "the operator console at /."))
    app.state.service = service
    app.state.left_running = 0
    app.include_router(router)
    app.router.routes.extend(mcp_app.routes)
    mount_docs(app)
    mount_console(app, service, service.app.config.home, secure=not options.loopback)
    app.add_exception_handler(RunnerError, _runner_error)
    app.add_exception_handler(RequestValidationError, _bad_request)
    app.add_exception_handler(HTTPException, _http_error)
    mount_metrics(app, service)  # GET /metrics (runner.observability)

    def operator(token: str, via: str) -> Actor | None:
        return app_operators.bearer(service.store, token, via)

    app.add_middleware(Guard, token=options.token, max_body_bytes=options.max_body_bytes,
                       operators=operator)
    _contract_in_openapi(app)
    return app


def _contract_in_openapi(app: FastAPI) -> None:
    """The run shapes in /openapi.json are the contract's own (one description for every
    door), added to the components FastAPI generates from the request models."""
    generate = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(
                contract_components())
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
