"""GeoTrust End User Home: the captcha tied to the browser session, and the domain/email check."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

from runner.clock import FixedClock
from sandbox import captcha, db
from tests.sandbox.browsing import HttpSession, solve_captcha, text, verify_geotrust

NOT_FOUND = "We could not find a certificate for that domain and email address"


def shown_image(web: HttpSession) -> str:
    [(alt, src)] = web.get("/geotrust/").view.images
    assert alt == "Image number"
    return src


def submit(web: HttpSession, answer: str, domain: str = "fresh-issued.example",
           email: str = "admin@fresh-issued.example") -> list[str]:
    page = web.post("/geotrust/", {"domain": domain, "email": email, "image_number": answer})
    return page.view.h1 + page.view.alerts


def test_home_page(web: HttpSession):
    view = web.get("/geotrust/").view
    assert view.h1 == ["GeoTrust End User Home"]
    assert view.textboxes == ["Domain", "Email address", "Image number"]
    assert view.buttons == ["Continue"]
    [(alt, src)] = view.images
    assert alt == "Image number" and src.startswith("/geotrust/captcha/") and src.endswith(".png")
    assert web.cookie("geotrust_session")


def test_same_challenge_on_reload_and_with_saved_cookies(new_session: Callable[[], HttpSession],
                                                         clock: FixedClock):
    first = new_session()
    src = shown_image(first)
    clock.advance(timedelta(seconds=120))
    assert shown_image(first) == src
    restored = HttpSession(first.base_url)
    restored.cookies.update(first.cookies)
    assert shown_image(restored) == src  # a new "browser" with the saved cookies
    assert shown_image(new_session()) != src  # another session, another challenge


def test_challenge_expires_after_five_minutes(web: HttpSession, clock: FixedClock):
    challenge_id, answer = solve_captcha(web)
    clock.advance(timedelta(seconds=301))
    assert submit(web, answer) == ["GeoTrust End User Home", "The image number has expired"]
    assert challenge_id not in shown_image(web)


def test_expired_challenge_is_replaced_on_reload(web: HttpSession, clock: FixedClock):
    src = shown_image(web)
    clock.advance(timedelta(seconds=300))
    assert shown_image(web) != src


def test_correct_answer_leads_to_request_access(web: HttpSession):
    page = verify_geotrust(web, "fresh-issued.example", "Admin@Fresh-Issued.example")
    assert page.view.h1 == ["Request Access"] and page.view.buttons == ["Request Access"]
    assert "fresh-issued.example" in text(page.view.soup.main)


def test_wrong_answer_is_incorrect_and_uses_the_challenge(web: HttpSession):
    challenge_id, answer = solve_captcha(web)
    wrong = f"{(int(answer) + 1) % 100000:05d}"
    assert submit(web, wrong) == ["GeoTrust End User Home", "The image number is incorrect"]
    assert submit(web, answer)[-1] == "The image number is incorrect"  # a new image by now
    assert challenge_id not in shown_image(web)


def test_used_challenge_is_replaced(web: HttpSession):
    challenge_id, _ = solve_captcha(web)
    verify_geotrust(web, "fresh-issued.example", "admin@fresh-issued.example")
    assert challenge_id not in shown_image(web)


def test_answer_from_another_session_is_rejected(new_session: Callable[[], HttpSession]):
    alice, bob = new_session(), new_session()
    _, alice_answer = solve_captcha(alice)
    _, bob_answer = solve_captcha(bob)
    if alice_answer != bob_answer:  # 1 in 100000 they coincide; then there is nothing to test
        assert submit(bob, alice_answer)[-1] == "The image number is incorrect"
    _, alice_answer = solve_captcha(alice)
    assert submit(alice, alice_answer) == ["Request Access"]


def test_form_posted_without_session_has_expired(web: HttpSession):
    assert submit(web, "12345")[-1] == "The image number has expired"


def test_domain_and_email_must_match_an_active_order(web: HttpSession):
    cases = [
        ("fresh-issued.example", "someone@fresh-issued.example"),  # wrong email
        ("nothing.example", "admin@nothing.example"),  # no such order
        ("cancelled.example", "admin@cancelled.example"),  # not issued or pending
    ]
    for domain, email in cases:
        page = verify_geotrust(web, domain, email)
        assert page.view.alerts == [NOT_FOUND], domain
        assert page.view.h1 == ["GeoTrust End User Home"]
        field = page.view.field("domain")
        assert field.attrs["value"] == domain  # what was typed stays
    assert verify_geotrust(web, "pending.example", "admin@pending.example").view.h1 == [
        "Request Access"]


def test_request_access_needs_a_verified_session(web: HttpSession):
    page = web.post("/geotrust/request-access")
    assert page.view.h1 == ["GeoTrust End User Home"] and len(page.view.alerts) == 1


def test_png_is_deterministic_and_registered(web: HttpSession, db_path):
    src = shown_image(web)
    body = web.get(src).body
    assert body.startswith(b"\x89PNG") and web.get(src).body == body
    challenge_id = src.rsplit("/", 1)[1].removesuffix(".png")
    conn = db.connect(db_path)
    try:
        answer = captcha.solve(conn, hashlib.sha256(body).hexdigest())
    finally:
        conn.close()
    assert answer is not None and len(answer) == 5 and answer.isdigit()
    assert captcha.draw(challenge_id, answer) == body
    assert captcha.draw(challenge_id, answer) != captcha.draw(challenge_id + "x", answer)
