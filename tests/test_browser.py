"""In Chromium, as designers, admins and outsiders use the portal: sign in, drop files, upload with
the keyboard alone, watch the gallery go live, retry a failed push, review, brand, delete."""

import re
import time

import pytest

from tests import images
from tests.browser_support import (
    ADMIN,
    DESIGNER,
    OUTSIDER,
    add_review_environment,
    drop_files,
    logo_png,
    sign_in,
)
from tests.ids import PRODUCTION, STAGING


def upload(stack, slug, name, data, user=DESIGNER):
    """Upload one file over HTTP as `user`; returns the new asset's id."""
    answer = stack.upload(stack.sign_in(user), slug, [(name, data)]).json()["files"][0]
    assert answer["result"] == "staged", answer
    return answer["asset"]


def live_asset(stack, name, data):
    asset_id = upload(stack, "production", name, data)
    stack.wait_for(stack.sign_in(DESIGNER), "production", [asset_id], {"live"})
    return asset_id


# The focused element's outline, and the first ancestor that would cut it off (overflow not visible).
FOCUS_RING = """
(el) => {
  let clippedBy = null;
  for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
    if (getComputedStyle(node).overflow !== "visible") { clippedBy = node.className || node.tagName; break; }
  }
  return { outline: getComputedStyle(el).outlineStyle, clippedBy };
}
"""


def wait_for_text(page, locator, text, timeout=30):
    """Wait until `locator` shows `text`, reloading the page now and then (for pages that do not update)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            locator.filter(has_text=text).first.wait_for(timeout=3_000)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            page.reload()


def test_a_designer_signs_in_from_the_landing_page_and_sees_their_environments(fresh_stack, chromium):
    context = chromium.new_context(base_url=fresh_stack.url)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("link", name="Sign in with PingOne").click()
    page.fill("input[name=username]", DESIGNER)
    page.fill("input[name=password]", "password")
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(f"{fresh_stack.url}/")

    assert page.get_by_test_id("signed-in-as").inner_text().strip()
    environments = page.get_by_role("table").get_by_role("link").all_inner_texts()
    assert "Production" in environments and "Staging" in environments
    assert "Secret" not in environments
    context.close()


def test_files_dropped_on_the_drop_zone_each_get_their_own_answer(fresh_stack, open_page):
    page = open_page(DESIGNER)
    page.goto("/environments/production/upload/")
    dropped = drop_files(
        page,
        "#dropzone",
        [
            ("dropped-logo.png", logo_png("Dropped", (20, 90, 140)), "image/png"),
            ("dropped-notes.txt", b"not an image", "text/plain"),
        ],
    )
    assert dropped == 2

    rows = page.locator("#upload-list li")
    rows.filter(has_text="dropped-notes.txt").filter(has_text="Only PNG, JPEG and GIF").wait_for()
    rows.filter(has_text="dropped-logo.png").filter(has_text="Staged").wait_for()
    # In the order dropped, and only the image got an asset.
    assert rows.nth(0).inner_text().startswith("dropped-logo.png")
    assets = fresh_stack.assets(fresh_stack.sign_in(DESIGNER), "production")
    assert [a["filename"] for a in assets].count("dropped-logo.png") == 1
    assert "dropped-notes.txt" not in [a["filename"] for a in assets]


def test_an_upload_with_the_keyboard_alone_is_announced(fresh_stack, open_page, tmp_path):
    page = open_page(DESIGNER)
    page.goto("/environments/production/upload/")

    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to content" and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    for _ in range(15):  # from the top of the content to the file input, by Tab alone
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "file":
            break
    else:
        pytest.fail("Tab never reached the file input")
    # The focused drop zone shows it.
    assert page.evaluate("getComputedStyle(document.getElementById('dropzone')).outlineStyle") != "none"

    logo = tmp_path / "keyboard-logo.png"
    logo.write_bytes(logo_png("Keys", (110, 60, 20)))
    # The focused control is the file input itself, so Space or Enter opens the browser's own
    # file chooser; choosing there is what setting the focused input's files does.
    page.locator(":focus").set_input_files(str(logo))

    row = page.locator("#upload-list li", has_text="keyboard-logo.png")
    row.filter(has_text="Staged").wait_for()
    # Screen readers hear the results: the rows sit in a live region.
    assert row.evaluate("el => el.closest('[aria-live]') !== null")


def test_the_gallery_turns_an_upload_live_without_a_reload(fresh_stack, open_page, tmp_path):
    page = open_page(DESIGNER)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=fresh_stack.url)
    page.goto("/environments/production/upload/")
    logo = tmp_path / "browser-logo.png"
    logo.write_bytes(images.png(colour=(33, 66, 99)))
    page.set_input_files("input[type=file]", [str(logo)])
    page.locator("#upload-list li", has_text="browser-logo.png").filter(has_text="Staged").wait_for()

    page.goto("/environments/production/")
    card = page.locator(".card", has_text="browser-logo.png")
    card.locator('[data-field="status"]', has_text="Live").wait_for(timeout=30_000)
    image_id = card.locator('[data-field="pingone_image_id"] code').inner_text()
    assert len(image_id) == 36
    card.locator('[data-field="pingone_image_id"] button').click()
    assert page.evaluate("navigator.clipboard.readText()") == image_id
    assert card.locator("img").get_attribute("src").startswith(fresh_stack.emulator.base_url)
    # One tab stop leads to the asset's page, not two, and its focus ring shows whole.
    links = card.locator(f'a[href="/assets/{card.get_attribute("data-asset-id")}/"]')
    assert links.count() == 1
    for _ in range(40):
        page.keyboard.press("Tab")
        if links.evaluate("a => a === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the card's link")
    ring = links.evaluate(FOCUS_RING)
    assert ring["outline"] != "none" and ring["clippedBy"] is None, ring


def test_a_failed_push_shows_pingones_code_and_is_retried_from_the_asset_page(fresh_stack, open_page):
    fresh_stack.emulator.add_fault("/images$", method="POST", status=400)
    asset_id = upload(fresh_stack, "production", "refused-once.png", logo_png("Retry", (70, 70, 140)))
    fresh_stack.wait_for(fresh_stack.sign_in(DESIGNER), "production", [asset_id], {"failed"})

    page = open_page(DESIGNER)
    page.goto(f"/assets/{asset_id}/")
    assert page.locator('[data-field="status"]').first.inner_text() == "Failed"
    assert "INVALID_DATA" in page.locator("main").inner_text()

    page.get_by_role("button", name="Retry").click()
    wait_for_text(page, page.locator('[data-field="status"]'), "Live")
    assert page.get_by_role("button", name="Retry").count() == 0
    (pushed,) = fresh_stack.emulator.images(PRODUCTION)
    assert pushed["id"] in page.locator("main").inner_text()


def test_an_admin_rejects_with_a_reason_and_the_designer_reads_it(fresh_stack, open_page):
    add_review_environment(fresh_stack)
    asset_id = upload(fresh_stack, "campaigns", "off-brand.png", logo_png("Off", (200, 0, 200)))

    admin = open_page(ADMIN)
    admin.goto("/review/")
    admin.get_by_role("checkbox", name="Select off-brand.png").check()
    admin.get_by_label("Reason for rejecting").fill("Magenta is not in the 2026 palette.")
    admin.get_by_role("button", name="Reject selected").click()
    admin.get_by_text(re.compile("Rejected 1")).wait_for()
    assert admin.locator(f'tr[data-asset-id="{asset_id}"]').count() == 0

    designer = open_page(DESIGNER)
    designer.goto("/my-uploads/")
    card = designer.locator(f'[data-asset-id="{asset_id}"]')
    assert "Magenta is not in the 2026 palette." in card.inner_text()
    assert card.locator('[data-field="status"]').inner_text() == "Rejected"
    designer.goto(f"/assets/{asset_id}/")
    assert designer.get_by_test_id("rejection").inner_text() == "Magenta is not in the 2026 palette."
    assert fresh_stack.emulator.images(STAGING) == []


def test_a_designer_puts_a_live_image_on_the_active_theme(fresh_stack, open_page):
    asset_id = live_asset(fresh_stack, "theme-logo.png", logo_png("Theme", (10, 100, 60)))

    page = open_page(DESIGNER)
    page.goto("/environments/production/branding/")
    slot = "the logo of theme Ping Default"
    page.locator('[data-slot="theme-logo"] select').select_option(label="theme-logo.png")
    page.get_by_role("button", name=f"Apply to {slot}").click()
    page.locator('[data-slot="theme-logo"] a', has_text="theme-logo.png").wait_for()

    theme = next(t for t in fresh_stack.emulator.branding(PRODUCTION)["themes"] if t["default"])
    (image,) = fresh_stack.emulator.images(PRODUCTION)
    assert theme["configuration"]["logo"]["id"] == image["id"]
    page.goto(f"/assets/{asset_id}/")
    assert "Ping Default" in page.get_by_test_id("used-by").inner_text()


def test_an_admin_deletes_a_live_image_from_pingone(fresh_stack, open_page):
    asset_id = live_asset(fresh_stack, "retired-logo.png", logo_png("Retired", (60, 60, 60)))
    assert len(fresh_stack.emulator.images(PRODUCTION)) == 1

    page = open_page(ADMIN)
    page.goto(f"/assets/{asset_id}/")
    page.get_by_role("button", name="Delete from PingOne").click()
    wait_for_text(page, page.locator('[data-field="status"]'), "Deleted")
    assert page.get_by_role("button", name="Delete from PingOne").count() == 0
    assert fresh_stack.emulator.images(PRODUCTION) == []


def test_an_outsider_is_told_they_have_no_access(fresh_stack, chromium):
    context = chromium.new_context(base_url=fresh_stack.url)
    page = context.new_page()
    sign_in(page, fresh_stack.url, OUTSIDER)
    assert "No access yet" in page.get_by_test_id("no-access").inner_text()
    assert page.get_by_role("table").count() == 0

    response = page.goto("/environments/production/")
    assert response.status == 404
    assert page.get_by_role("link", name="Back to the start page").is_visible()
    context.close()
