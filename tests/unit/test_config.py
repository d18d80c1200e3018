"""The one config loader: sandbox by default, production without secrets or fake time."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest

from runner.app.context import AppContext as App
from runner.config import load_config
from runner.config.home import private_dir, state_home
from runner.config.schema import ConfigFileError
from runner.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_default_config_targets_the_builtin_sandbox() -> None:
    config = load_config(ROOT / "config" / "default.yaml")
    assert config.is_sandbox and config.needs_sandbox
    live = config.with_sandbox_url("http://127.0.0.1:9999")
    assert live.console("pm").base_url == "http://127.0.0.1:9999/pm"
    assert not live.needs_sandbox


def test_the_navigation_timeout_is_its_own_and_patient_by_default(tmp_path: Path) -> None:
    default = load_config(ROOT / "config" / "default.yaml")
    assert default.browser.navigation_timeout == timedelta(seconds=30)
    assert default.browser.timeout == timedelta(seconds=10)
    path = tmp_path / "short.yaml"
    path.write_text("browser: {timeout_ms: 500, navigation_timeout_ms: 500}\n")
    with pytest.raises(ConfigFileError) as caught:
        load_config(path)
    assert [str(issue) for issue in caught.value.issues] == [
        f"{path}:1: browser.navigation_timeout_ms: 500 is out of range (1000 to 600000 "
        "milliseconds)"]


def test_production_example_loads_and_refuses_a_fake_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    path = ROOT / "config" / "production.example.yaml"
    config = load_config(path)
    assert not config.is_sandbox and not config.needs_sandbox
    monkeypatch.setenv("CERTRUNNER_NOW", "+31d")
    with pytest.raises(ConfigError, match="only be overridden") as caught:
        _ = App(str(path)).clock
    assert caught.value.code == "clock_override_forbidden"


def test_credentials_in_yaml_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("consoles:\n  symantec:\n    base_url: https://x\n    password: hunter2\n")
    with pytest.raises(ConfigError, match="environment") as caught:
        load_config(path)
    assert caught.value.code == "config_secret_in_yaml"


def test_credentials_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(ROOT / "config" / "production.example.yaml")
    monkeypatch.delenv("SYMANTEC_USERNAME", raising=False)
    monkeypatch.delenv("SYMANTEC_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="SYMANTEC_USERNAME") as caught:
        config.console("symantec").credentials()
    assert caught.value.code == "credentials_missing"
    monkeypatch.setenv("SYMANTEC_USERNAME", "agent")
    monkeypatch.setenv("SYMANTEC_PASSWORD", "s3cret")
    assert config.console("symantec").credentials() == ("agent", "s3cret")


def test_missing_and_malformed_config_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as missing:
        load_config(tmp_path / "nope.yaml")
    assert missing.value.code == "config_not_found"
    bad = tmp_path / "bad.yaml"
    bad.write_text("consoles: [\n")
    with pytest.raises(ConfigError) as malformed:
        load_config(bad)
    assert malformed.value.code == "config_invalid"


def test_every_problem_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("environment: sandbox\n"
                    "consoles:\n"
                    "  pm: http://pm.example\n"
                    "refund_window_days: thirty\n"
                    "browser:\n"
                    "  timeout: 1\n"
                    "  timeout_ms: '10s'\n")
    with pytest.raises(ConfigFileError) as caught:
        load_config(path)
    assert [str(issue) for issue in caught.value.issues] == [
        f"{path}:3: consoles.pm: this must be a mapping of keys to values, got 'http://pm.example'",
        f"{path}:4: refund_window_days: expected a whole number of days, got 'thirty'",
        f"{path}:6: browser.timeout: unknown key (did you mean 'timeout_ms'?); known: headless, "
        "timeout_ms, navigation_timeout_ms, read_retries, trace_on_failure",
        f"{path}:7: browser.timeout_ms: expected a whole number of milliseconds, got '10s'",
    ]
    assert caught.value.to_dict()["issues"] == [str(i) for i in caught.value.issues]


def test_state_paths_are_absolute_in_the_home_whatever_the_cwd(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"CERTRUNNER_HOME": str(tmp_path / "home")}
    config = load_config(ROOT / "config" / "default.yaml", env=env)
    assert config.home == tmp_path / "home"
    assert config.store == tmp_path / "home" / "runs.db"
    assert config.artifacts == tmp_path / "home" / "artifacts"
    assert config.sandbox_db == tmp_path / "home" / "sandbox.db"
    assert config.login_state == tmp_path / "home" / "login-state"
    moved = load_config(ROOT / "config" / "default.yaml",
                        env={**env, "CERTRUNNER_STORE": "elsewhere/r.db"})
    assert moved.store == tmp_path / "home" / "elsewhere" / "r.db"


def test_the_default_home_follows_xdg_and_never_the_cwd() -> None:
    assert state_home({"XDG_STATE_HOME": "/xdg"}) == Path("/xdg/certrunner")
    assert state_home({"XDG_STATE_HOME": "relative"}) == Path.home() / ".local/state/certrunner"
    assert state_home({}) == Path.home() / ".local" / "state" / "certrunner"
    with pytest.raises(ConfigError) as caught:
        state_home({"CERTRUNNER_HOME": "state"})
    assert caught.value.code == "home_invalid"


def test_production_takes_its_home_from_the_file_and_durations_become_timedeltas() -> None:
    config = load_config(ROOT / "config" / "production.example.yaml", env={})
    assert config.home == Path("/var/lib/certrunner")
    assert config.store == Path("/var/lib/certrunner/runs.db")
    assert config.browser.timeout == timedelta(seconds=20)
    assert config.browser.navigation_timeout_ms == 60_000
    assert config.refund_window == timedelta(days=30)


def test_private_dir_makes_owner_only_folders(tmp_path: Path) -> None:
    made = private_dir(tmp_path / "a" / "b")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError) as caught:
        private_dir(tmp_path / "file" / "c")
    assert caught.value.code == "state_path_invalid"
