"""The operator console: server-rendered pages on the application layer, one more door.

Mounted by the service (``mount_console``) on its warm host: the same store, the same worker
pool and browser. Pages are read with GET; every change is a POST from a form carrying its CSRF
token, checked against the signed-in operator's role by the application layer, which records
the decision. Blocking work (a resume drives a browser) runs in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
from fastapi import APIRouter, FastAPI
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from runner.app import decide, inbox, nightly, refunds, search
from runner.app import operators as app_operators
from runner.app.decide import RunHost
from runner.app.people import Actor
from runner.console.auth import Auth
from runner.console.render import Pages
from runner.console.sessions import Signer, load_key
from runner.console.views import run_view, task_view
from runner.error_codes import ErrorCode
from runner.errors import RunnerError

STATIC = Path(__file__).parent / "static"
PREFIX = "/console"
STATUS_OF = {ErrorCode.FORBIDDEN: 403, ErrorCode.TASK_CLAIMED: 409, ErrorCode.UNKNOWN_RUN: 404,
             ErrorCode.CSRF_FAILED: 403, ErrorCode.SIGN_IN_FAILED: 401,
             ErrorCode.UNKNOWN_ARTIFACT: 404, ErrorCode.RUN_IN_PROGRESS: 409,
             ErrorCode.SIDE_EFFECT_UNCONFIRMED: 409}
RUN_STATUSES = ("needs_input", "waiting", "running", "queued", "failed", "succeeded", "denied",
                "abandoned")


class Console:
    def __init__(self, host: RunHost, home: Path, secure: bool) -> None:
        self.host = host
        self.home = home
        self.auth = Auth(Signer(load_key(home)), secure)
        self.pages = Pages(self.auth)

    # the shape of every page and form

    def page(self, request: Request, build: Callable[[Actor], Response]) -> Response:
        """A GET page for a signed-in operator; anyone else goes to the sign-in."""
        actor = self.auth.actor(request, self.host.store)
        if actor is None:
            back = quote(request.url.path + (f"?{request.url.query}" if request.url.query
                                             else ""))
            return RedirectResponse(f"{PREFIX}/sign-in?next={back}", status_code=303)
        try:
            return build(actor)
        except RunnerError as exc:
            return self.refused(request, actor, exc)

    async def form(self, request: Request,
                   act: Callable[[Actor, FormData], Response]) -> Response:
        """A POST from a console form: signed in, its CSRF token checked, then ``act``."""
        form = await request.form()

        def run() -> Response:
            actor = self.auth.actor(request, self.host.store)
            try:
                self.auth.check_csrf(request, form)
                if actor is None:
                    return RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
                return act(actor, form)
            except RunnerError as exc:
                return self.refused(request, actor, exc)

        return await anyio.to_thread.run_sync(run)

    def refused(self, request: Request, actor: Actor | None, exc: RunnerError) -> Response:
        return self.pages.render(request, "refused.html", actor, STATUS_OF.get(exc.code, 400),
                                 error=exc, code=str(exc.code))


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def mount_console(app: FastAPI, host: RunHost, home: Path, secure: bool) -> Console:
    """Add the console's pages to the service's app; answers the console (tests use it)."""
    console = Console(host, home, secure)
    router = APIRouter(include_in_schema=False)
    _sign_in_routes(router, console)
    _inbox_routes(router, console)
    _run_routes(router, console)
    _ledger_routes(router, console)
    _operator_routes(router, console)
    app.include_router(router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=str(STATIC)), name="console-static")
    return console


def _sign_in_routes(router: APIRouter, c: Console) -> None:
    @router.get(f"{PREFIX}/sign-in")
    def sign_in_page(request: Request, next: str = "/") -> Response:  # noqa: A002
        actor = c.auth.actor(request, c.host.store)
        empty = not c.host.store.operators.all()
        return c.pages.render(request, "sign_in.html", actor, next=_local(next),
                              no_operators=empty)

    @router.post(f"{PREFIX}/sign-in")
    async def sign_in(request: Request) -> Response:
        form = await request.form()

        def run() -> Response:
            try:
                c.auth.check_csrf(request, form)
                actor = app_operators.sign_in(c.host.store, _text(form, "name"),
                                              _text(form, "token"))
            except RunnerError as exc:
                return c.pages.render(request, "sign_in.html", None,
                                      STATUS_OF.get(exc.code, 400), error=exc,
                                      next=_local(_text(form, "next")), name=_text(form, "name"))
            found = c.host.store.operators.get(actor.name)
            assert found is not None
            response = _see(_local(_text(form, "next")))
            c.auth.sign_in(response, found.name, found.token_hash)
            return response

        return await anyio.to_thread.run_sync(run)

    @router.post(f"{PREFIX}/sign-out")
    async def sign_out(request: Request) -> Response:
        def act(_actor: Actor, _form: FormData) -> Response:
            response = _see(f"{PREFIX}/sign-in")
            c.auth.sign_out(response)
            return response

        return await c.form(request, act)


def _local(path: str) -> str:
    """Only a path of this site to go back to after signing in (never another host)."""
    return path if path.startswith("/") and not path.startswith("//") else "/"


def _inbox_routes(router: APIRouter, c: Console) -> None:
    @router.get("/")
    def inbox_page(request: Request) -> Response:
        def build(actor: Actor) -> Response:
            tasks = inbox.inbox(c.host.store)
            return c.pages.render(request, "inbox.html", actor, tasks=tasks)

        return c.page(request, build)

    @router.get(PREFIX)
    def console_root() -> Response:
        return _see("/")

    @router.get(f"{PREFIX}/tasks/{{run_id}}")
    def task_page(request: Request, run_id: str) -> Response:
        def build(actor: Actor) -> Response:
            return c.pages.render(request, "task.html", actor,
                                  **task_view(c.host.store, c.host.get_run(run_id)))

        return c.page(request, build)

    @router.post(f"{PREFIX}/tasks/{{run_id}}/claim")
    async def claim(request: Request, run_id: str) -> Response:
        def act(actor: Actor, _form: FormData) -> Response:
            decide.claim(c.host.store, actor, run_id)
            return _see(f"{PREFIX}/tasks/{run_id}")

        return await c.form(request, act)

    @router.post(f"{PREFIX}/tasks/{{run_id}}/release")
    async def release(request: Request, run_id: str) -> Response:
        def act(actor: Actor, _form: FormData) -> Response:
            decide.release(c.host.store, actor, run_id)
            return _see(f"{PREFIX}/tasks/{run_id}")

        return await c.form(request, act)

    @router.post(f"{PREFIX}/tasks/{{run_id}}/answer")
    async def answer(request: Request, run_id: str) -> Response:
        def act(actor: Actor, form: FormData) -> Response:
            given = {k[len("input:"):]: v.strip() for k, v in form.multi_items()
                     if k.startswith("input:") and isinstance(v, str)}
            decide.answer(c.host, actor, run_id, given, seen=_text(form, "seen") or None)
            return _see(f"{PREFIX}/runs/{run_id}")

        return await c.form(request, act)

    @router.get(f"{PREFIX}/files/{{run_id}}/{{name}}")
    def run_file(request: Request, run_id: str, name: str) -> Response:
        def build(_actor: Actor) -> Response:
            content, media_type = c.host.artifact(run_id, name)
            headers = {"Cache-Control": "private, no-store"}
            if not media_type.startswith("image/"):
                headers["Content-Disposition"] = f'attachment; filename="{quote(name)}"'
            return Response(content, media_type=media_type, headers=headers)

        return c.page(request, build)


def _run_routes(router: APIRouter, c: Console) -> None:
    @router.get(f"{PREFIX}/runs")
    def runs_page(request: Request, ticket: str = "", domain: str = "", order: str = "",
                  status: str = "", flow: str = "") -> Response:
        def build(actor: Actor) -> Response:
            query = search.RunQuery(ticket, domain, order,
                                    status if status in RUN_STATUSES else "", flow)
            found = search.search(c.host.store, query)
            flows = sorted({r.flow for r in c.host.store.list_runs(limit=500)})
            return c.pages.render(request, "runs.html", actor, runs=found, query=query,
                                  statuses=RUN_STATUSES, flows=flows)

        return c.page(request, build)

    @router.get(f"{PREFIX}/runs/{{run_id}}")
    def run_page(request: Request, run_id: str) -> Response:
        def build(actor: Actor) -> Response:
            return c.pages.render(request, "run.html", actor,
                                  **run_view(c.host.store, c.host.get_run(run_id)))

        return c.page(request, build)

    @router.post(f"{PREFIX}/runs/{{run_id}}/retry")
    async def retry(request: Request, run_id: str) -> Response:
        def act(actor: Actor, _form: FormData) -> Response:
            decide.retry(c.host, actor, run_id)
            return _see(f"{PREFIX}/runs/{run_id}")

        return await c.form(request, act)

    @router.get(f"{PREFIX}/runs/{{run_id}}/abandon")
    def abandon_page(request: Request, run_id: str) -> Response:
        def build(actor: Actor) -> Response:
            return c.pages.render(request, "abandon.html", actor,
                                  runs=[c.host.get_run(run_id)])

        return c.page(request, build)

    @router.post(f"{PREFIX}/runs/abandon")
    async def abandon(request: Request) -> Response:
        """The confirmation page's form: only with ``confirmed`` does anything change."""
        def act(actor: Actor, form: FormData) -> Response:
            ids = [v for v in form.getlist("run_id") if isinstance(v, str)]
            if _text(form, "confirmed") != "yes":
                return c.pages.render(request, "abandon.html", actor, status=400,
                                      runs=[c.host.get_run(i) for i in ids],
                                      reason=_text(form, "reason"),
                                      problem="Tick the box to confirm.")
            results = _each(ids, lambda i: decide.abandon(c.host, actor, i,
                                                          _text(form, "reason")))
            if len(ids) == 1 and results[0][1] is None:
                return _see(f"{PREFIX}/runs/{ids[0]}")
            return c.pages.render(request, "results.html", actor, what="Abandon",
                                  results=results)

        return await c.form(request, act)

    @router.post(f"{PREFIX}/runs/bulk")
    async def bulk(request: Request) -> Response:
        def act(actor: Actor, form: FormData) -> Response:
            ids = [v for v in form.getlist("run_id") if isinstance(v, str)]
            if not ids:
                return c.pages.render(request, "results.html", actor, status=400,
                                      what="Nothing", results=[],
                                      problem="Select at least one run first.")
            if _text(form, "action") == "abandon":
                app_operators.require(actor, app_operators.Permission.ABANDON)
                return c.pages.render(request, "abandon.html", actor,
                                      runs=[c.host.get_run(i) for i in ids])
            results = _each(ids, lambda i: decide.retry(c.host, actor, i))
            return c.pages.render(request, "results.html", actor, what="Retry",
                                  results=results)

        return await c.form(request, act)


def _each(ids: list[str], do: Callable[[str], Any]) -> list[tuple[str, RunnerError | None]]:
    """Do one thing per run; one refusal does not stop the others (each says why)."""
    out: list[tuple[str, RunnerError | None]] = []
    for run_id in ids:
        try:
            do(run_id)
            out.append((run_id, None))
        except RunnerError as exc:
            out.append((run_id, exc))
    return out


def _ledger_routes(router: APIRouter, c: Console) -> None:
    @router.get(f"{PREFIX}/refunds")
    def refunds_page(request: Request) -> Response:
        def build(actor: Actor) -> Response:
            rows = refunds.ledger_rows(c.host.store)
            return c.pages.render(request, "refunds.html", actor, rows=rows,
                                  totals=refunds.totals_per_day(rows))

        return c.page(request, build)

    @router.get(f"{PREFIX}/refunds.csv")
    def refunds_csv(request: Request) -> Response:
        def build(_actor: Actor) -> Response:
            text = refunds.as_csv(refunds.ledger_rows(c.host.store, limit=100_000))
            return Response(text, media_type="text/csv", headers={
                "Content-Disposition": 'attachment; filename="certrunner-ledger.csv"'})

        return c.page(request, build)

    @router.get(f"{PREFIX}/nightly")
    def nightly_page(request: Request) -> Response:
        def build(actor: Actor) -> Response:
            nights = nightly.nights(c.home)
            return c.pages.render(request, "nightly.html", actor, nights=nights,
                                  latest=nights[0] if nights else None)

        return c.page(request, build)

    @router.get(f"{PREFIX}/nightly/{{name}}/{{what}}")
    def night_file(request: Request, name: str, what: str) -> Response:
        def build(actor: Actor) -> Response:
            found = nightly.night(c.home, name)
            path = None if found is None else {"proposals.patch": found.patch,
                                               "report.html": found.html}.get(what)
            if path is None:
                return c.pages.render(request, "missing.html", actor, 404,
                                      what=f"{what} of the night {name}")
            return FileResponse(path, filename=what if what.endswith(".patch") else None)

        return c.page(request, build)


def _operator_routes(router: APIRouter, c: Console) -> None:
    @router.get(f"{PREFIX}/operators")
    def operators_page(request: Request) -> Response:
        def build(actor: Actor) -> Response:
            return c.pages.render(request, "operators.html", actor,
                                  operators=app_operators.listing(c.host.store, actor))

        return c.page(request, build)

    @router.post(f"{PREFIX}/operators")
    async def add(request: Request) -> Response:
        def act(actor: Actor, form: FormData) -> Response:
            made = app_operators.add(c.host.store, actor, _text(form, "name"),
                                     _text(form, "role") or "viewer")
            return c.pages.render(request, "operators.html", actor, made=made,
                                  operators=app_operators.listing(c.host.store, actor))

        return await c.form(request, act)

    @router.post(f"{PREFIX}/operators/{{name}}/remove")
    async def remove(request: Request, name: str) -> Response:
        def act(actor: Actor, _form: FormData) -> Response:
            app_operators.remove(c.host.store, actor, name)
            return _see(f"{PREFIX}/operators")

        return await c.form(request, act)
