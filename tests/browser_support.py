"""What the browser tests share: Chromium, signing in, a real drop, axe-core, widths, test logos."""

import base64
import io
import os

from tests.ids import STAGING

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--font-render-hinting=none",
]

ADMIN, DESIGNER, OUTSIDER = "admin@example.com", "designer@example.com", "outsider@example.com"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
WIDTHS = {390: PHONE, 1440: DESKTOP}

# Violations of these impacts fail a page; axe's "minor" and "moderate" ones are reported only.
FAILING_IMPACTS = ("serious", "critical")


def sign_in(page, base_url, username, password="password"):
    """Sign in as a person does: the portal sends the browser to PingOne's form and back."""
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(f"{base_url}/")


def add_review_environment(stack):
    """Environment `campaigns` (on the emulator's Staging): uploads there wait for an admin's review."""
    review = ["--name", "Campaigns", "--groups", "Branding", "--review-required"]
    stack.manage("add_environment", "campaigns", STAGING, *review)


DROP_SCRIPT = """
([selector, files]) => {
  const transfer = new DataTransfer();
  for (const f of files) {
    const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], f.name, { type: f.type }));
  }
  const zone = document.querySelector(selector);
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
  }
  return transfer.files.length;
}
"""


def drop_files(page, selector, files):
    """Drop (name, bytes, type) files on the element: dragenter, dragover, drop, as a person's drag does."""
    payload = [{"name": n, "data": base64.b64encode(d).decode(), "type": t} for n, d, t in files]
    return page.evaluate(DROP_SCRIPT, [selector, payload])


def axe_violations(page):
    """axe-core's violations on the page as it is now (the copy bundled with axe-playwright-python)."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe().run(page).response["violations"]


def failing(violations):
    return [v for v in violations if v.get("impact") in FAILING_IMPACTS]


def describe_violations(violations):
    """One block per violation: rule, impact, what it means, and each element with axe's reason."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]")
        for node in v["nodes"][:8]:
            lines.append(f"    at {', '.join(str(t) for t in node['target'])}: {node['html'][:160]}")
            messages = [c["message"] for key in ("any", "all", "none") for c in node.get(key, [])]
            for message in messages[:3]:
                lines.append(f"      {message}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


OVERFLOW_SCRIPT = """
() => {
  const width = window.innerWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      // Only the outermost culprit: a child of a too-wide element says nothing new.
      if (!wide.some((w) => w.el.contains(el))) wide.push({ el, right: Math.round(box.right) });
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: width,
    culprits: wide.slice(0, 8).map((w) => {
      const name = typeof w.el.className === "string" && w.el.className ? "." + w.el.className : "";
      const id = w.el.id ? "#" + w.el.id : "";
      return w.el.tagName.toLowerCase() + id + name + " ends at " + w.right + "px";
    }),
  };
}
"""


def sideways_scroll(page):
    """None when the page fits its width; otherwise the widths and the elements that stick out."""
    found = page.evaluate(OVERFLOW_SCRIPT)
    if found["scrollWidth"] <= found["innerWidth"]:
        return None
    return found


def screenshot_folder(default):
    """Where the suite saves its screenshots: PORTAL_SCREENSHOTS (`make screenshots`), else `default`."""
    folder = os.environ.get("PORTAL_SCREENSHOTS") or str(default)
    os.makedirs(folder, exist_ok=True)
    return folder


def logo_png(label, background, ink=(255, 255, 255), size=(480, 240)):
    """A small wordmark-like PNG: a coloured card with a ring and a label (distinct per label)."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGBA", size, background + (255,))
    draw = ImageDraw.Draw(image)
    w, h = size
    r = h // 4
    draw.ellipse((h // 2 - r, h // 2 - r, h // 2 + r, h // 2 + r), outline=ink, width=max(4, h // 24))
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", h // 5)
    except OSError:
        font = ImageFont.load_default()
    draw.text((h // 2 + r + h // 8, h // 2), label, fill=ink, font=font, anchor="lm")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
