"""How the warm host (HTTP, MCP, the console) is started; refused before anything listens when
exposure is unsafe."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, replace
from datetime import timedelta

from runner.error_codes import ErrorCode
from runner.errors import ConfigError

TOKEN_ENV = "CERTRUNNER_API_TOKEN"
MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True)
class ServiceOptions:
    host: str = "127.0.0.1"
    port: int = 8700
    workers: int = 2
    token: str | None = None  # the bearer token every request must carry, when set
    max_body_bytes: int = 64 * 1024  # run requests are a few hundred bytes; refuse floods early
    poll: timedelta = timedelta(seconds=30)  # how often the scheduler looks for due runs
    grace: timedelta = timedelta(seconds=60)  # how long SIGTERM lets running runs finish
    config_path: str | None = None
    headed: bool = False
    hand_off: bool = False  # new and due runs go to the worker fleet (runner.app.handoff)

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def with_token_from_env(self) -> ServiceOptions:
        return replace(self, token=os.environ.get(TOKEN_ENV) or None)

    def check(self) -> None:
        """Beyond loopback anyone on the network could move money: a token is required."""
        if self.workers < 1:
            raise ConfigError("--workers must be at least 1", ErrorCode.BAD_WORKERS)
        if self.token is not None and len(self.token) < MIN_TOKEN_LENGTH:
            raise ConfigError(f"{TOKEN_ENV} is too short (at least {MIN_TOKEN_LENGTH} "
                              "characters)", ErrorCode.API_TOKEN_WEAK)
        if not self.loopback and not self.token:
            raise ConfigError(f"refusing to listen on {self.host} without a token: set "
                              f"{TOKEN_ENV} in the environment, or listen on 127.0.0.1",
                              ErrorCode.API_TOKEN_REQUIRED)
