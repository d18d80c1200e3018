"""Run the service under uvicorn, with its shutdown.

SIGTERM (or Ctrl-C) first drains the service (no new work, queued work refused, the scheduler
stopped), then lets uvicorn finish the requests whose runs are still going; each such run goes
on to its next pause or end, which the store has saved after every step. A run still going
after the grace period stays "running" under this process; the next start resumes it.
"""

from __future__ import annotations

import signal
import socket
from types import FrameType

import uvicorn

from runner.app.options import ServiceOptions
from runner.app.warm import RunService, exit_mid_run
from runner.logs import get_logger


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, service: RunService) -> None:
        super().__init__(config)
        self.service = service

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:  # the port actually bound (``--port 0`` picks a free one)
            bound = [s.getsockname() for server in self.servers for s in server.sockets]
            get_logger().info("service_listening", host=bound[0][0], port=bound[0][1])
            self.service.bound(bound[0][0], bound[0][1])

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.service.drain()
        super().handle_exit(sig, frame)


def serve(options: ServiceOptions) -> int:
    """Blocks until stopped; the exit code says whether runs were left mid-way (3)."""
    from runner.service.app import create_app

    options.check()
    service = RunService(options)
    app = create_app(options, service)
    config = uvicorn.Config(app, host=options.host, port=options.port, log_level="warning",
                            timeout_graceful_shutdown=int(options.grace.total_seconds()),
                            lifespan="on")
    server = _Server(config, service)
    for sig in (signal.SIGTERM, signal.SIGINT):
        # uvicorn re-raises the signal it shut down for once it is done; with this handler
        # that ends here and the exit code below says how the stop went.
        signal.signal(sig, _stopped)
    server.run()
    if not server.started:
        return 1
    if app.state.left_running:
        exit_mid_run(service)
    return 0


def _stopped(_sig: int, _frame: FrameType | None) -> None:
    """The service has already stopped in order when this runs."""
