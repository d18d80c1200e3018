"""Serve the sandbox over real HTTP: in a daemon thread (runner, tests) or in the foreground."""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox.app import create_app
from sandbox.times import Clock

# How often the serving loop checks for stop(): bounds how long stop() takes.
POLL_SECONDS = 0.02


class _QuietHandler(WSGIRequestHandler):
    """Request handler without the per-request access log (in-process use)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class SandboxServer:
    """The sandbox app on ``host:port`` (0 = a free port), started and stopped explicitly.

    ``with SandboxServer(db) as server: ... server.url`` runs it in a daemon thread;
    ``serve_forever()`` blocks (``run.py sandbox serve``).
    """

    def __init__(self, db_path: Path, port: int = 0, *, host: str = "127.0.0.1",
                 clock: Clock | None = None, quiet: bool = True) -> None:
        self.db_path = Path(db_path)
        self.app = create_app(self.db_path, clock)
        self._host, self._port, self._quiet = host, port, quiet
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def _bind(self) -> BaseWSGIServer:
        if self._server is None:
            handler = _QuietHandler if self._quiet else WSGIRequestHandler
            self._server = make_server(self._host, self._port, self.app, threaded=True,
                                       request_handler=handler)
        return self._server

    @property
    def port(self) -> int:
        """The bound port (binds now if not yet bound)."""
        return int(self._bind().server_port)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash); consoles live under /pm, /symantec..."""
        return f"http://{self._host}:{self.port}"

    def start(self) -> SandboxServer:
        """Serve in a daemon thread; returns self once the socket accepts connections."""
        server = self._bind()
        if self._thread is None:
            self._thread = threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,),
                                            name="sandbox-http", daemon=True)
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        server = self._bind()
        try:
            server.serve_forever()
        finally:
            server.server_close()
            self._server = None

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
                self._thread.join(timeout=10)
                self._thread = None
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
