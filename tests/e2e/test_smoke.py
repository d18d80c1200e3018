from playwright.sync_api import Page, expect


def test_chromium_renders_a_page(page: Page) -> None:
    page.set_content("<button>Go</button>")
    expect(page.get_by_role("button", name="Go")).to_be_visible()
