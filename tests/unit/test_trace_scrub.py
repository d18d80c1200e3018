"""Masking a saved trace: cookie lists, storage and credential headers, and known values."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from runner.browser.trace_scrub import MASK, context_secrets, scrub_trace

SESSION = "s3ss10n-VALUE-abcdef"


def _trace(path: Path) -> None:
    events = [
        {"type": "before", "method": "addCookies",
         "params": {"cookies": [{"name": "symantec_session", "value": SESSION}]}},
        {"type": "resource-snapshot", "snapshot": {"request": {
            "cookies": [{"name": "symantec_session", "value": SESSION}],
            "headers": [{"name": "Cookie", "value": f"symantec_session={SESSION}"},
                        {"name": "Accept", "value": "text/html"}]},
            "response": {"headers": [{"name": "Set-Cookie", "value": "other=zzzzzzzz"}]}}},
        {"type": "after", "result": {"origins": [
            {"origin": "http://x", "localStorage": [{"name": "token", "value": "ls-secret"}]}]}},
    ]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("trace.network", "\n".join(json.dumps(e) for e in events) + "\n")
        archive.writestr("resources/page.html", f"<p>echo {SESSION}</p>")
        archive.writestr("screencast/page.jpeg", b"\xff\xd8" + SESSION.encode())


def test_cookies_storage_and_credential_headers_are_masked(tmp_path: Path) -> None:
    path = tmp_path / "trace.zip"
    _trace(path)
    scrub_trace(path, [SESSION])
    with zipfile.ZipFile(path) as archive:
        network = archive.read("trace.network").decode()
        page = archive.read("resources/page.html").decode()
        image = archive.read("screencast/page.jpeg")
    assert SESSION not in network and SESSION not in page
    assert "zzzzzzzz" not in network and "ls-secret" not in network
    assert '{"name":"Accept","value":"text/html"}' in network  # the rest stays readable
    assert network.count(MASK) == 5
    assert image.endswith(SESSION.encode())  # images are left as they are
    assert [json.loads(line)["type"] for line in network.splitlines() if line] == [
        "before", "resource-snapshot", "after"]


def test_context_secrets_lists_cookie_and_storage_values() -> None:
    state = {"cookies": [{"name": "a", "value": "1"}],
             "origins": [{"origin": "o", "localStorage": [{"name": "b", "value": "2"}]}]}
    assert context_secrets(state) == ["1", "2"]


def test_a_typed_answer_is_masked_where_it_stands_alone_and_timings_stay(tmp_path: Path) -> None:
    answer = "70112"
    events = [
        {"type": "before", "method": "fill", "params": {"value": answer}, "startTime": 70112.5},
        {"type": "resource-snapshot", "snapshot": {"request": {"postData": {"params": [
            {"name": "image_number", "value": answer}]}}, "size": 70112}},
    ]
    path = tmp_path / "trace.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("trace.network", "\n".join(json.dumps(e) for e in events) + "\n")
        archive.writestr("resources/body.dat", f"domain=a.example&image_number={answer}")
    scrub_trace(path, [], answers=[answer])
    with zipfile.ZipFile(path) as archive:
        network = archive.read("trace.network").decode()
        body = archive.read("resources/body.dat").decode()
    assert body == f"domain=a.example&image_number={MASK}"
    parsed = [json.loads(line) for line in network.splitlines() if line]
    assert parsed[0]["params"] == {"value": MASK} and parsed[0]["startTime"] == 70112.5
    assert parsed[1]["snapshot"]["request"]["postData"]["params"][0]["value"] == MASK
    assert parsed[1]["snapshot"]["size"] == 70112
