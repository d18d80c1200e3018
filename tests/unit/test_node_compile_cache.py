"""The driver's compile cache: in the user's cache folder, owner-only, never over a caller's."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from runner.browser.session import node_compile_cache


def test_the_cache_is_a_private_folder_under_the_users_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODE_COMPILE_CACHE", "")  # unset, and restored after the test
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    node_compile_cache()
    folder = tmp_path / "certrunner" / "node-compile-cache"
    assert os.environ["NODE_COMPILE_CACHE"] == str(folder)
    assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0


def test_a_cache_the_caller_chose_is_kept(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODE_COMPILE_CACHE", str(tmp_path / "theirs"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    node_compile_cache()
    assert os.environ["NODE_COMPILE_CACHE"] == str(tmp_path / "theirs")
    assert not (tmp_path / "xdg").exists()


def test_no_usable_cache_folder_leaves_the_driver_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("NODE_COMPILE_CACHE", "")  # unset, and restored after the test
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    node_compile_cache()
    assert os.environ["NODE_COMPILE_CACHE"] == ""
