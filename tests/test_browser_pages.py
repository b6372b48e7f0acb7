"""Every page, at 390 px and 1440 px: no serious or critical axe-core violation, no sideways scroll.

The pages hold real content: live, failed, waiting and rejected uploads, an image on a theme.
The main pages are saved as screenshots (docs/screenshots with `make screenshots`).
"""

import os

import pytest

from tests.browser_support import (
    ADMIN,
    DESIGNER,
    OUTSIDER,
    WIDTHS,
    add_review_environment,
    axe_violations,
    describe_violations,
    drop_files,
    failing,
    logo_png,
    screenshot_folder,
    sideways_scroll,
)

LOGOS = [
    ("acme-wordmark.png", "ACME", (179, 40, 45)),
    ("northwind-logo.png", "Northwind", (31, 94, 160)),
    ("contoso-badge.png", "Contoso", (24, 120, 72)),
    ("fabrikam-mark.png", "Fabrikam", (92, 52, 150)),
    ("tailspin-icon.png", "Tailspin", (190, 110, 20)),
    ("summit-login-background.png", "Summit", (40, 48, 66)),
]


def post_json(stack, session, path, data):
    token = stack.csrf(session)
    response = session.post(
        f"{stack.url}{path}", data=data, headers={"Accept": "application/json", "X-CSRFToken": token}
    )
    assert response.status_code == 200, response.text[:500]
    return response.json()


@pytest.fixture(scope="module")
def showcase(stack, portal_emulator):
    """Uploads in every state a person meets, made through the portal's own HTTP answers."""
    portal_emulator.reset()
    add_review_environment(stack)
    designer, admin = stack.sign_in(DESIGNER), stack.sign_in(ADMIN)

    def upload(slug, name, data):
        answer = stack.upload(designer, slug, [(name, data)]).json()["files"][0]
        assert answer["result"] == "staged", answer
        return answer["asset"]

    live = [upload("production", name, logo_png(label, colour)) for name, label, colour in LOGOS]
    stack.wait_for(designer, "production", live, {"live"})

    portal_emulator.add_fault("/images$", method="POST", status=400)
    failed = upload("production", "oversized-banner.png", logo_png("Banner", (120, 30, 30), size=(600, 200)))
    stack.wait_for(designer, "production", [failed], {"failed"})
    portal_emulator.clear_faults()

    waiting = upload("campaigns", "holiday-logo.png", logo_png("Holiday", (160, 40, 90)))
    rejected = upload("campaigns", "draft-logo.png", logo_png("Draft", (90, 90, 90)))
    post_json(
        stack,
        admin,
        "/review/",
        {
            "assets": [rejected],
            "action": "reject",
            "reason": "The colours are off-brand; use the 2026 palette.",
        },
    )
    post_json(stack, designer, f"/assets/{live[0]}/apply/", {"target": "theme_logo"})
    return {"live": live[0], "failed": failed, "waiting": waiting, "rejected": rejected}


# (name, who, path); {live} and {failed} are the showcase's assets.
PAGES = [
    ("landing", None, "/"),
    ("signin-failed", None, "/auth/callback/?error=access_denied"),
    ("home", ADMIN, "/"),
    ("no-access", OUTSIDER, "/"),
    ("gallery", ADMIN, "/environments/production/"),
    ("upload", DESIGNER, "/environments/campaigns/upload/"),
    ("asset", ADMIN, "/assets/{live}/"),
    ("asset-failed", DESIGNER, "/assets/{failed}/"),
    ("review", ADMIN, "/review/"),
    ("audit", ADMIN, "/audit/"),
    ("branding", DESIGNER, "/environments/production/branding/"),
    ("my-uploads", DESIGNER, "/my-uploads/"),
    ("settings", ADMIN, "/environments/production/settings/"),
    ("not-found", DESIGNER, "/environments/secret/"),
    ("sign-out", DESIGNER, "/logout/"),
]
# `hidden` must hide, whatever display a class gives.
HIDDEN_BUT_SHOWN = """
() => [...document.querySelectorAll("[hidden]")]
  .filter((el) => getComputedStyle(el).display !== "none")
  .map((el) => el.outerHTML.slice(0, 120))
"""
# The pages the README shows.
SCREENSHOTS = {"home", "gallery", "upload", "asset", "review", "branding"}


def show_upload_results(page):
    """The upload page as it is after a drop: one image staged (waiting for review), one refused."""
    drop_files(
        page,
        "#dropzone",
        [
            ("spring-logo.png", logo_png("Spring", (30, 130, 120)), "image/png"),
            ("brief.txt", b"not an image", "text/plain"),
        ],
    )
    rows = page.locator("#upload-list li")
    rows.filter(has_text="brief.txt").filter(has_text="Only PNG, JPEG and GIF").wait_for()
    rows.filter(has_text="spring-logo.png").filter(has_text="review").wait_for()


@pytest.mark.parametrize(("name", "user", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_passes_axe_and_fits_390_and_1440_px(
    showcase, open_page, tmp_path_factory, name, user, path
):
    page = open_page(user, 1440)
    response = page.goto(path.format(**showcase))
    assert response.status == {"not-found": 404, "signin-failed": 400}.get(name, 200)
    if name == "upload":
        show_upload_results(page)
    folder = screenshot_folder(tmp_path_factory.getbasetemp() / "screenshots")

    for width in (1440, 390):
        page.set_viewport_size(WIDTHS[width])
        violations = axe_violations(page)
        if violations:  # the minor and moderate ones are reported, not failed
            print(f"axe-core on {name} at {width} px:\n{describe_violations(violations)}")
        problems = failing(violations)
        assert not problems, f"axe-core on {name} at {width} px:\n{describe_violations(problems)}"

        shown = page.evaluate(HIDDEN_BUT_SHOWN)
        assert not shown, f"{name}: elements marked hidden are displayed: {shown}"

        overflow = sideways_scroll(page)
        assert overflow is None, f"{name} scrolls sideways at {width} px: {overflow}"

        if name in SCREENSHOTS:
            shot = f"{folder}/{name}-{width}.png"
            # The whole page, up to two screens tall (a longer list shows nothing new).
            height = min(page.evaluate("document.documentElement.scrollHeight"), 2 * WIDTHS[width]["height"])
            clip = {"x": 0, "y": 0, "width": width, "height": height}
            page.screenshot(path=shot, full_page=True, clip=clip, animations="disabled", caret="hide")
            if os.environ.get("PORTAL_SCREENSHOTS"):  # the README's copies stay small
                assert os.path.getsize(shot) < 300_000, f"{shot} is too large for the repository"
