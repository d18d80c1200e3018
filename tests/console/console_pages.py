"""Page objects for the console, as a person finds its controls: by role and by label."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page


class SignIn:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.name = page.get_by_label("Name")
        self.token = page.get_by_label("Token")
        self.submit = page.get_by_role("button", name="Sign in")

    def sign_in(self, base: str, name: str, token: str) -> None:
        self.page.goto(base + "/")
        self.name.fill(name)
        self.token.fill(token)
        self.submit.click()


class Inbox:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name=re.compile("^Inbox"))

    def ticket(self, ticket: str) -> Locator:
        return self.page.get_by_role("link", name=ticket, exact=True)


class Task:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.captcha = page.get_by_role("img", name=re.compile("Captcha image"))
        self.answer = page.get_by_label("Answer")
        self.send = page.get_by_role("button", name="Send answer")
        self.claim = page.get_by_role("button", name="Claim this task")
        self.release = page.get_by_role("button", name="Release this task")
        self.held = page.get_by_role("status")
        self.refusal = page.get_by_role("alert")
        self.retry = page.get_by_role("button", name="Retry the run")
        # An interrupted side effect: what the person found on the console.
        self.did_not_happen = page.get_by_role("button", name="It did not happen: do it now")
        self.happened = page.get_by_role("button", name="It happened: mark it done")
        self.ledger = page.get_by_role("region", name="What the ledger holds")


class RunPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.decisions = page.get_by_role("region", name="Decisions")
        self.abandon = page.get_by_role("link", name="Abandon…")

    def status(self, status: str) -> Locator:
        return self.page.get_by_role("heading", name=re.compile(status))


class Runs:
    """The runs page: a search, and a form that retries or abandons the runs ticked."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.status = page.get_by_label("Status")
        self.search = page.get_by_role("button", name="Search")
        self.retry = page.get_by_role("button", name="Retry selected")
        self.abandon = page.get_by_role("button", name="Abandon selected…")

    def select(self, ticket: str) -> Locator:
        return self.page.get_by_role("checkbox", name=re.compile(f"^Select ticket {ticket} "))


class Results:
    def __init__(self, page: Page) -> None:
        self.heading = page.get_by_role("heading", name=re.compile(": results$"))
        self.items = page.get_by_role("listitem")


class Abandon:
    def __init__(self, page: Page) -> None:
        self.reason = page.get_by_label("Reason")
        self.confirm = page.get_by_label("I have checked: abandon for good")
        self.submit = page.get_by_role("button", name="Abandon", exact=True)
        self.refusal = page.get_by_role("alert")
