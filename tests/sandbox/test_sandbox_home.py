"""The sandbox finds the state home as the runner does, with code of its own.

Its default DB must be the file the runner's built-in sandbox serves, so for every environment
both must name the same folder, and refuse the same ones with the same words.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from runner.config import home as runner_home
from runner.errors import ConfigError
from sandbox import home as sandbox_home

ENVIRONMENTS = [
    {"CERTRUNNER_HOME": "/srv/certrunner", "XDG_STATE_HOME": "/xdg"},
    {"CERTRUNNER_HOME": "  ~/state  "},
    {"CERTRUNNER_HOME": " ", "XDG_STATE_HOME": "/xdg"},
    {"XDG_STATE_HOME": "/xdg"},
    {"XDG_STATE_HOME": "relative"},
    {},
]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_state_home_is_the_runners(env: dict[str, str]) -> None:
    assert sandbox_home.state_home(env) == runner_home.state_home(env)


def test_a_relative_home_is_refused_in_the_same_words() -> None:
    env = {"CERTRUNNER_HOME": "state"}
    with pytest.raises(ConfigError) as theirs:
        runner_home.state_home(env)
    with pytest.raises(sandbox_home.SandboxPathError) as ours:
        sandbox_home.state_home(env)
    assert ours.value.message == theirs.value.message


def test_private_dir_makes_owner_only_folders_and_refuses_a_file(tmp_path: Path) -> None:
    made = sandbox_home.private_dir(tmp_path / "a" / "b")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    (tmp_path / "file").write_text("x")
    with pytest.raises(sandbox_home.SandboxPathError, match="is not a folder"):
        sandbox_home.private_dir(tmp_path / "file" / "c")
