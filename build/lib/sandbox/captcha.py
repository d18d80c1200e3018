"""GeoTrust's "image number": 5-digit challenges tied to a browser session.

A challenge lives 5 minutes; the home page shows the same one on reload so a paused run can
resume in a new browser with the saved cookies. Any attempt uses it up. The PNG is drawn once,
deterministically, and stored with its SHA-256 so ``sandbox solve-captcha FILE`` can answer it
(standing in for the person who reads the image in production).
"""

from __future__ import annotations

import enum
import hashlib
import io
import random
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from PIL import Image, ImageDraw, ImageFont

from sandbox.db import transaction
from sandbox.times import iso, parse_iso

CHALLENGE_TTL = timedelta(minutes=5)
SIZE = (200, 70)


class Verdict(enum.Enum):
    """What a submitted image number amounts to."""

    CORRECT = "correct"
    INCORRECT = "incorrect"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Challenge:
    """One captcha shown to one session."""

    challenge_id: str
    session_id: str
    answer: str
    expires_at: datetime


def draw(challenge_id: str, answer: str) -> bytes:
    """Draw ``answer`` with noise; the same challenge always gives the same bytes."""
    rng = random.Random(challenge_id)
    image = Image.new("RGB", SIZE, (236 + rng.randrange(16), 240, 246))
    pen = ImageDraw.Draw(image)
    for _ in range(400):
        xy = (rng.randrange(SIZE[0]), rng.randrange(SIZE[1]))
        pen.point(xy, fill=tuple(rng.randrange(120, 220) for _ in range(3)))
    font = ImageFont.load_default(size=38)
    for i, digit in enumerate(answer):
        glyph = Image.new("RGBA", (44, 56), (0, 0, 0, 0))
        colour = (rng.randrange(20, 90), rng.randrange(20, 90), rng.randrange(60, 140), 255)
        ImageDraw.Draw(glyph).text((8, 4), digit, font=font, fill=colour)
        glyph = glyph.rotate(rng.uniform(-15, 15), resample=Image.Resampling.BICUBIC)
        image.paste(glyph, (12 + i * 36 + rng.randrange(-3, 4), 6 + rng.randrange(-4, 5)), glyph)
    for _ in range(5):
        points = [(rng.randrange(SIZE[0]), rng.randrange(SIZE[1])) for _ in range(2)]
        pen.line(points, fill=tuple(rng.randrange(90, 180) for _ in range(3)), width=2)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _row_to_challenge(row: sqlite3.Row) -> Challenge:
    return Challenge(row["challenge_id"], row["session_id"], row["answer"],
                     parse_iso(row["expires_at"]))


def _latest(conn: sqlite3.Connection, session_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM captcha_challenges WHERE session_id = ? AND used_at IS NULL"
        " ORDER BY created_at DESC, rowid DESC LIMIT 1", (session_id,)).fetchone()
    return row


def current(conn: sqlite3.Connection, session_id: str, now: datetime) -> Challenge:
    """The session's live challenge, or a new one if it has none (used or expired)."""
    with transaction(conn):
        row = _latest(conn, session_id)
        if row is not None and parse_iso(row["expires_at"]) > now:
            return _row_to_challenge(row)
        challenge_id = secrets.token_hex(8)
        answer = f"{secrets.randbelow(100000):05d}"
        png = draw(challenge_id, answer)
        conn.execute(
            "INSERT INTO captcha_challenges (challenge_id, session_id, answer, png, png_sha256,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (challenge_id, session_id, answer, png, hashlib.sha256(png).hexdigest(), iso(now),
             iso(now + CHALLENGE_TTL)),
        )
        return Challenge(challenge_id, session_id, answer, now + CHALLENGE_TTL)


def check(conn: sqlite3.Connection, session_id: str, shown_id: str | None, answer: str,
          now: datetime) -> Verdict:
    """Judge an answer against the session's live challenge and use that challenge up.

    ``shown_id`` is the challenge the form displayed; if it is no longer the live one (used in
    another tab, or expired and replaced) the image the person read has expired.
    """
    with transaction(conn):
        row = _latest(conn, session_id)
        if row is None:
            return Verdict.EXPIRED
        conn.execute("UPDATE captcha_challenges SET used_at = ? WHERE challenge_id = ?",
                     (iso(now), row["challenge_id"]))
        if parse_iso(row["expires_at"]) <= now or (shown_id and shown_id != row["challenge_id"]):
            return Verdict.EXPIRED
        if answer.strip() != row["answer"]:
            return Verdict.INCORRECT
        return Verdict.CORRECT


def png(conn: sqlite3.Connection, challenge_id: str) -> bytes | None:
    """The stored image of a challenge, byte for byte as first drawn."""
    row = conn.execute("SELECT png FROM captcha_challenges WHERE challenge_id = ?",
                       (challenge_id,)).fetchone()
    return bytes(row["png"]) if row else None


def solve(conn: sqlite3.Connection, sha256: str) -> str | None:
    """The answer for an image the sandbox drew, found by the SHA-256 of its bytes."""
    row = conn.execute("SELECT answer FROM captcha_challenges WHERE png_sha256 = ?",
                       (sha256.lower(),)).fetchone()
    return str(row["answer"]) if row else None
