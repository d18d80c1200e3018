"""Test helpers for the sandbox: an HTTP client with cookies and a read-out of a page.

``HttpSession`` talks to a running ``SandboxServer`` over real HTTP (stdlib only) and keeps
cookies like a browser. ``PageView`` reads a page the way page objects do, by roles, labels and
texts: headings, alerts, links, buttons, labelled textboxes, named tables, description lists.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from html.parser import HTMLParser
from typing import Any

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})
TEXT_INPUT_TYPES = frozenset({"text", "email", "search", "tel", "url", "password", ""})


class FakeClock:
    """A clock tests move by hand (``advance``) instead of waiting."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Node:
    """One element of a parsed page."""

    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        """Visible text with whitespace collapsed."""
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else " " + child.text() + " ")
        return " ".join("".join(parts).split())

    def iter(self) -> list[Node]:
        """This node and every descendant element, in document order."""
        found = [self]
        for child in self.children:
            if isinstance(child, Node):
                found.extend(child.iter())
        return found

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """Descendants by tag and exact attribute values (``class_`` for class)."""
        wanted = {k.rstrip("_"): v for k, v in attrs.items()}
        return [n for n in self.iter()[1:] if (tag is None or n.tag == tag)
                and all(n.attrs.get(k) == v for k, v in wanted.items())]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


class PageView:
    """A page read by role, label and text (never by id or class)."""

    def __init__(self, html: str) -> None:
        builder = _TreeBuilder()
        builder.feed(html)
        self.root = builder.root

    def _texts(self, nodes: list[Node]) -> list[str]:
        return [n.text() for n in nodes]

    @property
    def title(self) -> str:
        return self._texts(self.root.find_all("title"))[0]

    @property
    def h1(self) -> list[str]:
        return self._texts(self.root.find_all("h1"))

    @property
    def alerts(self) -> list[str]:
        return self._texts(self.root.find_all(role="alert"))

    @property
    def statuses(self) -> list[str]:
        return self._texts(self.root.find_all(role="status"))

    @property
    def links(self) -> list[tuple[str, str]]:
        """(text, href) of every link."""
        return [(n.text(), n.attrs.get("href", "")) for n in self.root.find_all("a")]

    def link(self, name: str) -> str:
        """The href of the one link named ``name``."""
        hrefs = [href for text, href in self.links if text == name]
        if len(hrefs) != 1:
            raise LookupError(f"{len(hrefs)} links named {name!r}")
        return hrefs[0]

    @property
    def buttons(self) -> list[str]:
        return self._texts(self.root.find_all("button"))

    def label_for(self, control: Node) -> str | None:
        """The accessible name of a form control: its <label for> or aria-label."""
        if "aria-label" in control.attrs:
            return control.attrs["aria-label"]
        cid = control.attrs.get("id")
        labels = [n.text() for n in self.root.find_all("label")
                  if cid and n.attrs.get("for") == cid]
        return labels[0] if labels else None

    @property
    def textboxes(self) -> list[str | None]:
        """Accessible names of visible text inputs (None = unlabelled)."""
        return [self.label_for(n) for n in self.root.find_all("input")
                if n.attrs.get("type", "") in TEXT_INPUT_TYPES]

    @property
    def controls(self) -> list[Node]:
        """Every visible form control (input other than hidden, select, textarea)."""
        return [n for n in self.root.iter() if n.tag in ("select", "textarea")
                or (n.tag == "input" and n.attrs.get("type") != "hidden")]

    @property
    def images(self) -> list[tuple[str, str]]:
        """(alt, src) of every image."""
        return [(n.attrs.get("alt", ""), n.attrs.get("src", "")) for n in self.root.find_all("img")]

    def nav(self, name: str) -> list[str]:
        """Link texts in the <nav> named ``name``."""
        navs = self.root.find_all("nav", **{"aria-label": name})
        return [a.text() for nav in navs for a in nav.find_all("a")]

    def table(self, name: str) -> tuple[list[str], list[list[str]]]:
        """(header texts, row cell texts) of the table whose aria-label is ``name``."""
        tables = self.root.find_all("table", **{"aria-label": name})
        if len(tables) != 1:
            raise LookupError(f"{len(tables)} tables named {name!r}")
        header = self._texts(tables[0].find_all("th"))
        rows = [self._texts(tr.find_all("td")) for tr in tables[0].find_all("tr")]
        return header, [r for r in rows if r]

    def table_rows(self, name: str) -> list[Node]:
        """The body rows of the named table, for scoping (e.g. a row's buttons)."""
        tables = self.root.find_all("table", **{"aria-label": name})
        return [tr for tr in tables[0].find_all("tr") if tr.find_all("td")] if tables else []

    @property
    def terms(self) -> dict[str, str]:
        """Every <dt> text mapped to its <dd> text."""
        found: dict[str, str] = {}
        for dl in self.root.find_all("dl"):
            key = None
            for node in dl.find_all():
                if node.tag == "dt":
                    key = node.text()
                elif node.tag == "dd" and key is not None:
                    found[key] = node.text()
        return found

    @property
    def ids(self) -> set[str]:
        return {n.attrs["id"] for n in self.root.iter() if "id" in n.attrs}

    @property
    def classes(self) -> set[str]:
        return {c for n in self.root.iter() for c in n.attrs.get("class", "").split()}

    def accessible(self) -> set[tuple[str, str | None]]:
        """What page objects can find: (role, name) of headings, links, buttons, textboxes,
        images, named tables and navs, alerts and statuses."""
        found: set[tuple[str, str | None]] = {("heading", t) for t in self.h1}
        found |= {("link", t) for t, _ in self.links} | {("button", t) for t in self.buttons}
        found |= {("textbox", name) for name in self.textboxes}
        found |= {("img", alt) for alt, _ in self.images}
        found |= {("table", n.attrs.get("aria-label")) for n in self.root.find_all("table")}
        found |= {("navigation", n.attrs.get("aria-label")) for n in self.root.find_all("nav")}
        found |= {("alert", t) for t in self.alerts} | {("status", t) for t in self.statuses}
        return found


@dataclass(frozen=True)
class HttpResponse:
    """What came back: status, final URL, headers and body."""

    status: int
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @cached_property
    def view(self) -> PageView:
        return PageView(self.text)

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpSession:
    """A cookie-keeping HTTP client for one "browser", against ``base_url``."""

    def __init__(self, base_url: str, cookies: http.cookiejar.CookieJar | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookies = cookies if cookies is not None else http.cookiejar.CookieJar()
        processor = urllib.request.HTTPCookieProcessor(self.cookies)
        self._follow = urllib.request.build_opener(processor)
        self._stay = urllib.request.build_opener(processor, _NoRedirect())

    def cookie(self, name: str) -> str | None:
        """The value of a cookie this session holds."""
        return next((c.value for c in self.cookies if c.name == name), None)

    def request(self, method: str, path: str, *, form: dict[str, str] | None = None,
                json_body: Any = None, follow: bool = True) -> HttpResponse:
        """Send one request; HTTP errors come back as responses, not exceptions."""
        data, headers = None, {}
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        url = path if path.startswith("http") else self.base_url + path
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        opener = self._follow if follow else self._stay
        try:
            with opener.open(req, timeout=10) as resp:
                return HttpResponse(resp.status, resp.url, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as err:
            return HttpResponse(err.code, err.url or url, dict(err.headers or {}), err.read())

    def get(self, path: str, *, follow: bool = True) -> HttpResponse:
        return self.request("GET", path, follow=follow)

    def post(self, path: str, form: dict[str, str] | None = None, *,
             follow: bool = True) -> HttpResponse:
        return self.request("POST", path, form=form or {}, follow=follow)


def solve_captcha(session: HttpSession) -> tuple[str, str]:
    """Open GeoTrust home as ``session``; return (challenge id, answer) via the SHA-256 lookup."""
    home = session.get("/geotrust/")
    src = next(src for alt, src in home.view.images if alt == "Image number")
    digest = hashlib.sha256(session.get(src).body).hexdigest()
    challenge_id = src.rsplit("/", 1)[1].removesuffix(".png")
    return challenge_id, str(session.get(f"/sandbox/captcha/{digest}").json()["answer"])


def verify_geotrust(session: HttpSession, domain: str, email: str) -> HttpResponse:
    """Fill GeoTrust's form with a solved image number and Continue."""
    challenge_id, answer = solve_captcha(session)
    return session.post("/geotrust/", {"domain": domain, "email": email, "image_number": answer,
                                       "challenge_id": challenge_id})


def request_access(session: HttpSession, domain: str, email: str) -> HttpResponse:
    """Continue past the GeoTrust form, then Request Access (queues the access mail)."""
    verified = verify_geotrust(session, domain, email)
    if verified.view.h1 != ["Request Access"]:
        raise AssertionError(f"GeoTrust refused: {verified.view.alerts}")
    return session.post("/geotrust/request-access")


def log_in_symantec(session: HttpSession, username: str = "partner",
                    password: str = "sandbox-password") -> HttpResponse:
    """Post the Symantec login form (the default sandbox credentials)."""
    return session.post("/symantec/login", {"username": username, "password": password})
