"""The one config loader: sandbox by default, production without secrets or fake time."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.cli.app import App
from runner.config import load_config
from runner.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_default_config_targets_the_builtin_sandbox() -> None:
    config = load_config(ROOT / "runner" / "config" / "default.yaml")
    assert config.is_sandbox and config.needs_sandbox
    live = config.with_sandbox_url("http://127.0.0.1:9999")
    assert live.console("pm").base_url == "http://127.0.0.1:9999/pm"
    assert not live.needs_sandbox


def test_production_example_loads_and_refuses_a_fake_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    path = ROOT / "runner" / "config" / "production.example.yaml"
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
    config = load_config(ROOT / "runner" / "config" / "production.example.yaml")
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
