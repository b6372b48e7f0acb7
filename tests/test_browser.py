"""In Chromium: sign in, drop files on the upload page, watch the gallery turn them live."""

import os

import pytest

from tests import images

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        yield context.new_page()
        browser.close()


def test_a_designer_uploads_in_the_browser_and_sees_the_images_go_live(fresh_stack, page, tmp_path):
    stack = fresh_stack
    page.goto(f"{stack.url}/")
    page.get_by_text("Sign in with PingOne").click()
    page.fill("input[name=username]", "designer@example.com")
    page.fill("input[name=password]", "password")
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(f"{stack.url}/")
    assert "Production" in page.content()

    page.goto(f"{stack.url}/environments/production/upload/")
    logo, notes = tmp_path / "browser-logo.png", tmp_path / "notes.txt"
    logo.write_bytes(images.png(colour=(33, 66, 99)))
    notes.write_bytes(b"not an image")
    page.set_input_files("input[type=file]", [str(logo), str(notes)])

    rows = page.locator("#upload-list li")
    rows.filter(has_text="browser-logo.png").filter(has_text="Staged").wait_for()
    rows.filter(has_text="notes.txt").filter(has_text="Only PNG, JPEG and GIF").wait_for()

    page.goto(f"{stack.url}/environments/production/")
    card = page.locator(".card", has_text="browser-logo.png")
    # The gallery polls while anything is pending and updates the card in place.
    card.locator('[data-field="status"]', has_text="Live").wait_for(timeout=30_000)
    image_id = card.locator('[data-field="pingone_image_id"] code').inner_text()
    assert len(image_id) == 36
    card.locator('[data-field="pingone_image_id"] button').click()
    assert page.evaluate("navigator.clipboard.readText()") == image_id
    src = card.locator("img").get_attribute("src")
    assert src.startswith(stack.emulator.base_url)
