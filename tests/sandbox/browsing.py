"""The sandbox's own tests browse it over real HTTP: a cookie-keeping client and a page read-out.

``HttpSession`` is one "browser" (a ``requests.Session`` against the test's server).
``PageView`` reads a page, with BeautifulSoup, the way page objects do: by roles, labels and
texts (headings, alerts, links, buttons, labelled textboxes, named tables, description lists).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import requests
from bs4 import BeautifulSoup, Tag

TEXT_INPUT_TYPES = frozenset({"text", "email", "search", "tel", "url", "password", ""})


def text(tag: Tag) -> str:
    """An element's text, whitespace collapsed."""
    return " ".join(tag.get_text(" ").split())


class PageView:
    """A page read by role, label and text (never by id or class)."""

    def __init__(self, html: str) -> None:
        self.soup = BeautifulSoup(html, "html.parser")

    def _texts(self, *args: Any, **kwargs: Any) -> list[str]:
        return [text(t) for t in self.soup.find_all(*args, **kwargs)]

    @property
    def title(self) -> str:
        return self._texts("title")[0]

    @property
    def h1(self) -> list[str]:
        return self._texts("h1")

    @property
    def alerts(self) -> list[str]:
        return self._texts(attrs={"role": "alert"})

    @property
    def statuses(self) -> list[str]:
        return self._texts(attrs={"role": "status"})

    @property
    def links(self) -> list[tuple[str, str]]:
        """(text, href) of every link."""
        return [(text(a), str(a.get("href", ""))) for a in self.soup.find_all("a")]

    def link(self, name: str) -> str:
        """The href of the one link named ``name``."""
        hrefs = [href for label, href in self.links if label == name]
        if len(hrefs) != 1:
            raise LookupError(f"{len(hrefs)} links named {name!r}")
        return hrefs[0]

    @property
    def buttons(self) -> list[str]:
        return self._texts("button")

    def label_for(self, control: Tag) -> str | None:
        """The accessible name of a form control: its aria-label or its <label for>."""
        if control.has_attr("aria-label"):
            return str(control["aria-label"])
        label = self.soup.find("label", attrs={"for": control["id"]}) if control.has_attr(
            "id") else None
        return text(label) if isinstance(label, Tag) else None

    @property
    def textboxes(self) -> list[str | None]:
        """Accessible names of the text inputs (None = unlabelled)."""
        return [self.label_for(i) for i in self.soup.find_all("input")
                if i.get("type", "") in TEXT_INPUT_TYPES]

    @property
    def controls(self) -> list[Tag]:
        """Every visible form control (input other than hidden, select, textarea)."""
        return [c for c in self.soup.find_all(["input", "select", "textarea"])
                if c.get("type") != "hidden"]

    def field(self, name: str) -> Tag:
        """The one form field submitted as ``name``."""
        [found] = self.soup.find_all(attrs={"name": name})
        return found

    @property
    def images(self) -> list[tuple[str, str]]:
        """(alt, src) of every image."""
        return [(str(i.get("alt", "")), str(i.get("src", ""))) for i in self.soup.find_all("img")]

    def nav(self, name: str) -> list[str]:
        """Link texts in the <nav> named ``name``."""
        return [text(a) for nav in self.soup.find_all("nav", attrs={"aria-label": name})
                for a in nav.find_all("a")]

    def _table(self, name: str) -> Tag:
        tables = self.soup.find_all("table", attrs={"aria-label": name})
        if len(tables) != 1:
            raise LookupError(f"{len(tables)} tables named {name!r}")
        return tables[0]

    def table(self, name: str) -> tuple[list[str], list[list[str]]]:
        """(header texts, row cell texts) of the table whose aria-label is ``name``."""
        table = self._table(name)
        rows = [[text(td) for td in tr.find_all("td")] for tr in table.find_all("tr")]
        return [text(th) for th in table.find_all("th")], [r for r in rows if r]

    def table_rows(self, name: str) -> list[Tag]:
        """The body rows of the named table, for scoping (e.g. a row's buttons)."""
        return [tr for tr in self._table(name).find_all("tr") if tr.find("td")]

    @property
    def terms(self) -> dict[str, str]:
        """Every <dt> text mapped to the text of the <dd> after it."""
        return {text(dt): text(dd) for dt in self.soup.find_all("dt")
                if isinstance(dd := dt.find_next_sibling("dd"), Tag)}

    @property
    def ids(self) -> set[str]:
        return {str(t["id"]) for t in self.soup.find_all(id=True)}

    @property
    def classes(self) -> set[str]:
        return {c for t in self.soup.find_all(class_=True) for c in t.get_attribute_list("class")}

    def accessible(self) -> set[tuple[str, str | None]]:
        """What page objects can find: (role, name) of headings, links, buttons, textboxes,
        images, named tables and navs, alerts and statuses."""
        found: set[tuple[str, str | None]] = {("heading", t) for t in self.h1}
        found |= {("link", t) for t, _ in self.links} | {("button", t) for t in self.buttons}
        found |= {("textbox", name) for name in self.textboxes}
        found |= {("img", alt) for alt, _ in self.images}
        found |= {("table", t.get("aria-label")) for t in self.soup.find_all("table")}
        found |= {("navigation", n.get("aria-label")) for n in self.soup.find_all("nav")}
        found |= {("alert", t) for t in self.alerts} | {("status", t) for t in self.statuses}
        return found


@dataclass(frozen=True)
class HttpResponse:
    """What came back: status, final URL, headers and body."""

    status: int
    url: str
    headers: requests.structures.CaseInsensitiveDict[str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @cached_property
    def view(self) -> PageView:
        return PageView(self.text)

    def json(self) -> Any:
        return json.loads(self.body)


class HttpSession:
    """A cookie-keeping HTTP client for one "browser", against ``base_url``."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        # One connection per request: no kept-alive socket holds a stopped server's port.
        self.http.headers["Connection"] = "close"

    @property
    def cookies(self) -> requests.cookies.RequestsCookieJar:
        return self.http.cookies

    def cookie(self, name: str) -> str | None:
        """The value of a cookie this session holds."""
        return self.http.cookies.get(name)

    def request(self, method: str, path: str, *, form: dict[str, str] | None = None,
                json_body: Any = None, follow: bool = True) -> HttpResponse:
        """Send one request; HTTP errors come back as responses, not exceptions."""
        url = path if path.startswith("http") else self.base_url + path
        answer = self.http.request(method, url, data=form, json=json_body,
                                   allow_redirects=follow, timeout=10)
        return HttpResponse(answer.status_code, answer.url, answer.headers, answer.content)

    def get(self, path: str, *, follow: bool = True) -> HttpResponse:
        return self.request("GET", path, follow=follow)

    def post(self, path: str, form: dict[str, str] | None = None, *,
             follow: bool = True) -> HttpResponse:
        return self.request("POST", path, form=form or {}, follow=follow)


def solve_captcha(session: HttpSession) -> tuple[str, str]:
    """Open GeoTrust home as ``session``; return (challenge id, answer) from the sandbox API."""
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
