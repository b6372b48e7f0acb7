"""In Chromium: pages that follow the work. A failed push reaches the open upload and asset pages
and My uploads, a gallery shows what another tab uploads, and the upload list says what became of
each file."""

import os
import re

import pytest

from tests import images
from tests.ids import PRODUCTION

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync"]
CREATES = "/images$"
# A page that reloaded loses this; one that only swapped fragments keeps it.
MARK = "window.__notReloaded = true"
NOT_RELOADED = "window.__notReloaded === true"


@pytest.fixture
def designer_context(fresh_stack):
    """A browser context signed in as the designer through PingOne's form."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=fresh_stack.url)
        context.set_default_timeout(30_000)  # a loaded machine is slow, never wrong
        page = context.new_page()
        page.goto("/login/")
        page.fill("input[name=username]", "designer@example.com")
        page.fill("input[name=password]", "password")
        page.locator("input[name=password]").press("Enter")
        page.wait_for_url(f"{fresh_stack.url}/")
        page.close()
        yield context
        browser.close()


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_a_push_failed_by_pingone_turns_the_open_upload_asset_and_my_uploads_pages_to_failed(
    fresh_stack, designer_context, tmp_path
):
    emulator = fresh_stack.emulator
    # PingOne refuses the create, after long enough for the asset page and My uploads to be opened
    # while it waits.
    emulator.add_fault(path=CREATES, method="POST", status=400, latency_ms=6000)
    upload = designer_context.new_page()
    upload.goto("/environments/production/upload/")
    upload.set_input_files(
        "input[type=file]",
        write(tmp_path, "feedback-refused.png", images.png(size=(37, 23), colour=(7, 70, 140))),
    )

    row = upload.locator("#upload-list li", has_text="feedback-refused.png")
    row.locator('[data-field="status"]', has_text="Pushing").wait_for()
    upload.evaluate(MARK)
    asset_page = designer_context.new_page()
    asset_page.goto(row.locator('a[data-field="link"]').get_attribute("href"))
    assert asset_page.locator('[data-field="status"]').inner_text() in ("Queued", "Pushing")
    asset_page.evaluate(MARK)
    mine = designer_context.new_page()
    mine.goto("/my-uploads/")
    my_card = mine.locator(".card", has_text="feedback-refused.png")
    assert my_card.locator('[data-field="status"]').inner_text() in ("Queued", "Pushing")
    mine.evaluate(MARK)

    for page in (upload, asset_page, mine):
        # Back to that tab, as the designer would: a hidden tab waits to update until it is shown.
        page.bring_to_front()
        page.locator('[data-field="status"]', has_text="Failed").wait_for()
        assert page.evaluate(NOT_RELOADED)
    assert "INVALID_DATA" in row.locator('[data-field="outcome"]').inner_text()
    assert "failed" in row.get_attribute("class").split()
    assert row.locator("a", has_text="View and retry").is_visible()
    assert "INVALID_DATA" in asset_page.locator('dd[data-field="error"]').inner_text()
    assert asset_page.get_by_role("button", name="Retry").is_visible()
    assert "Failed" in asset_page.locator("#asset-announcer").inner_text()
    assert "INVALID_DATA" in my_card.locator('[data-field="error"]').inner_text()
    assert emulator.images(PRODUCTION) == []

    # The next time the designer opens the portal, the failure is there, one click from its list.
    home = designer_context.new_page()
    home.goto("/")
    home.get_by_role("link", name=re.compile(r"^\d+ of your uploads failed$")).click()
    home.wait_for_url("**/my-uploads/?status=failed")
    assert "INVALID_DATA" in home.locator(".card", has_text="feedback-refused.png").inner_text()


def test_the_upload_list_keeps_the_chosen_order_and_the_gallery_shows_another_tabs_uploads(
    fresh_stack, designer_context, tmp_path
):
    gallery = designer_context.new_page()
    gallery.goto("/environments/production/")
    gallery.evaluate(MARK)

    upload = designer_context.new_page()
    upload.goto("/environments/production/upload/")
    files = [
        write(tmp_path, "feedback-first.png", images.png(size=(37, 23), colour=(10, 20, 30))),
        write(tmp_path, "feedback-notes.txt", b"not an image"),
        write(tmp_path, "feedback-third.png", images.png(size=(37, 23), colour=(40, 50, 60))),
        write(tmp_path, "feedback-third-again.png", images.png(size=(37, 23), colour=(40, 50, 60))),
    ]
    # Keyboard only: Tab to the drop zone's file input, and open the file chooser from it.
    for _ in range(30):
        upload.keyboard.press("Tab")
        if upload.evaluate("document.activeElement.type") == "file":
            break
    assert upload.evaluate("document.activeElement.labels[0].id") == "dropzone"
    # Space or Enter on the focused file input opens the browser's own chooser; choosing there is
    # what setting the focused input's files does.
    upload.locator(":focus").set_input_files(files)

    rows = upload.locator("#upload-list li")
    assert rows.locator(".name").all_inner_texts() == [
        "feedback-first.png",
        "feedback-notes.txt",
        "feedback-third.png",
        "feedback-third-again.png",
    ]
    assert upload.locator("#upload-list li img.preview").first.get_attribute("src").startswith("blob:")
    summary = upload.locator("#upload-summary")
    summary.get_by_text("2 staged, 1 duplicate, 1 refused.").wait_for()
    assert (
        summary.get_by_role("link", name="Go to the gallery").get_attribute("href")
        == "/environments/production/"
    )
    refused = rows.filter(has_text="feedback-notes.txt")
    assert "refused" in refused.get_attribute("class") and refused.locator("progress").count() == 0
    assert "Only PNG, JPEG and GIF" in refused.inner_text()
    for name in ("feedback-first.png", "feedback-third.png"):
        rows.filter(has_text=name).locator('[data-field="status"]', has_text="Live").first.wait_for()

    # The gallery opened before the upload shows the new images, live, without a reload, once
    # the designer is back on its tab (a hidden tab waits to update until it is shown). The two
    # files with the same bytes are sent side by side: either may be the one staged.
    gallery.bring_to_front()
    for name in ("feedback-first.png", "feedback-third"):
        card = gallery.locator(".card", has_text=name).first
        card.locator('[data-field="status"]', has_text="Live").wait_for()
        assert card.locator("a.card-link").count() == 1  # one tab stop for the image's page
        image_id = card.locator('[data-field="pingone_image_id"] code').inner_text()
        assert len(image_id) == 36
        assert card.locator('[data-field="pingone_image_id"] button').get_attribute("data-copy") == image_id
        assert card.locator('[data-field="uploaded_by"]').inner_text() == "designer@example.com"
    assert gallery.evaluate(NOT_RELOADED)
    assert gallery.locator(".empty").is_hidden()
