"""The secret scanner's positive control: a secret planted in each kind of file the doors write
(a log line, a SQLite database and its write-ahead log, a trace archive's entry, a nested
archive, a screenshot's neighbour), in each form it could take, is found; what is not a leak
(the captcha's digits inside a timing) is not."""

from __future__ import annotations

import base64
import io
import json
import sqlite3
import urllib.parse
import zipfile
from pathlib import Path

import pytest

from tests.leaks import Leak, Secret, files_under, scan

PASSWORD = Secret("password", "pa$$ word/with+signs-0123")
COOKIE = Secret("cookie", "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4")
ANSWER = Secret("captcha answer", "40712")


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("written", [
    PASSWORD.value.encode(),
    urllib.parse.quote(PASSWORD.value, safe="").encode(),
    urllib.parse.quote_plus(PASSWORD.value).encode(),
    json.dumps({"p": PASSWORD.value}).encode(),
    PASSWORD.value.encode("utf-16-le"),
    base64.b64encode(PASSWORD.value.encode()),
], ids=["plain", "quoted", "form", "json", "utf16", "base64"])
def test_a_long_secret_is_found_in_any_form(tmp_path: Path, written: bytes) -> None:
    (tmp_path / "a.log").write_bytes(b"before " + written + b" after")
    assert scan([PASSWORD, COOKIE], files_under(tmp_path)) == [
        Leak("password", str(tmp_path / "a.log"))]


def test_inside_archives_and_nested_archives(tmp_path: Path) -> None:
    inner = _zip({"resources/page.html": b"<input value='" + COOKIE.value.encode() + b"'>"})
    (tmp_path / "trace.zip").write_bytes(_zip({"trace.trace": b"{}", "inner.zip": inner,
                                               "trace.network": PASSWORD.value.encode()}))
    assert sorted(map(str, scan([PASSWORD, COOKIE], files_under(tmp_path)))) == [
        f"cookie in {tmp_path / 'trace.zip'}!inner.zip!resources/page.html",
        f"password in {tmp_path / 'trace.zip'}!trace.network"]


def test_in_a_database_and_its_write_ahead_log(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "runs.db")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (v TEXT)")
    db.commit()
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("INSERT INTO t VALUES (?)", (json.dumps({"image_number": ANSWER.value}),))
    db.commit()
    try:
        assert (tmp_path / "runs.db-wal").exists()
        assert scan([ANSWER], files_under(tmp_path)) == [
            Leak("captcha answer", str(tmp_path / "runs.db-wal"))]
    finally:
        db.close()


def test_a_screenshots_neighbour_and_a_log_by_name(tmp_path: Path) -> None:
    run = tmp_path / "artifacts" / "run-1"
    run.mkdir(parents=True)
    (run / "failure.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (run / "notes.txt").write_text(f"cookie={COOKIE.value}")
    assert scan([COOKIE], files_under(tmp_path), {"service stderr": f"x {COOKIE.value}"}) == [
        Leak("cookie", str(run / "notes.txt")), Leak("cookie", "service stderr")]


@pytest.mark.parametrize("text", [
    f'"image_number": "{ANSWER.value}"', f"image_number={ANSWER.value}&x=1",
    f"answer {ANSWER.value}\n", f"'{ANSWER.value}'",
])
def test_a_short_secret_standing_as_a_value_is_found(text: str) -> None:
    assert scan([ANSWER], logs={"log": text}) == [Leak("captcha answer", "log")]


@pytest.mark.parametrize("text", [
    f'"startTime":{ANSWER.value}.25', f'"size":{ANSWER.value},', f"[1,{ANSWER.value}]",
    f"1{ANSWER.value}", f"{ANSWER.value}9", f"0.{ANSWER.value}", f"abc{ANSWER.value}",
])
def test_a_short_secret_inside_a_number_or_word_is_not(text: str) -> None:
    assert scan([ANSWER], logs={"trace": text}) == []


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(AssertionError, match="nothing to look for"):
        scan([Secret("cookie", "")], logs={"log": "anything"})
