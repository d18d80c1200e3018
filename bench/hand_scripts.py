"""The baseline the service is compared with: what a person would script by hand in Playwright.

No checks beyond what the clicks need, no store, no ledger, no evidence kept: each ticket in a
fresh context of the browser it is given, like the runner's runs.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Browser, BrowserContext, Page


def refund_pending(browser: Browser, pm_url: str, domain: str) -> str:
    """Search, check the date, open the transaction, refund."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{pm_url}/")
        page.get_by_label("Domain").fill(domain)
        page.get_by_role("button", name="Search").click()
        row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=domain,
                                                                  exact=True))
        cells = row.get_by_role("cell").all_inner_texts()
        assert any(domain == c.strip() for c in cells), cells
        row.get_by_role("link", name="Transaction").click()
        page.get_by_role("button", name="Refund").click()
        return page.get_by_role("status").inner_text()
    finally:
        context.close()


def symantec_login(browser: Browser, symantec_url: str, user: str, password: str) -> dict:
    """Log in once; later tickets load the saved cookies into their fresh contexts."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{symantec_url}/login")
        page.get_by_label("Username").fill(user)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("navigation", name="Main menu").wait_for()
        return dict(context.storage_state())
    finally:
        context.close()


def _details(page: Page) -> dict[str, str]:
    terms = page.get_by_role("term").all_text_contents()
    return dict(zip(terms, page.get_by_role("definition").all_text_contents(), strict=True))


def issued_to_captcha(browser: Browser, urls: dict[str, str], domain: str, login: dict,
                      out: Path) -> Path:
    """Search the order, look its partner order up in Symantec (Quick Search), open GeoTrust
    and save the captcha image: where a person must read it."""
    context: BrowserContext = browser.new_context(storage_state=login)  # type: ignore[arg-type]
    try:
        pm = context.new_page()
        pm.goto(f"{urls['pm']}/")
        pm.get_by_label("Domain").fill(domain)
        pm.get_by_role("button", name="Search").click()
        headers = pm.get_by_role("columnheader").all_text_contents()
        row = pm.get_by_role("row").filter(has=pm.get_by_role("cell", name=domain, exact=True))
        cells = dict(zip(headers, row.get_by_role("cell").all_text_contents(), strict=True))
        symantec = context.new_page()
        symantec.goto(f"{urls['symantec']}/")
        symantec.get_by_role("link", name="Quick Search").click()
        symantec.get_by_label("Partner Order ID").fill(cells["Partner Order ID"])
        symantec.get_by_role("button", name="Search").click()
        info = _details(symantec)
        assert info["Common Name"] and "@" in info["Admin Email"], info
        geotrust = context.new_page()
        geotrust.goto(f"{urls['geotrust']}/")
        src = geotrust.get_by_alt_text("Image number").get_attribute("src") or ""
        image = context.request.get(urljoin(geotrust.url, src)).body()
        out.write_bytes(image)
        return out
    finally:
        context.close()
