"""Reading an HTML form the way a browser submits it, and signing in through the provider's."""

from html.parser import HTMLParser
from urllib.parse import urljoin


class FormParser(HTMLParser):
    """Collects the first form's action and its named inputs."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = {}
        self.buttons = {}
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action", "")
            self._in_form = True
        elif tag in ("input", "button") and self._in_form and attrs.get("name"):
            if tag == "button" or attrs.get("type") == "submit":
                self.buttons[attrs["name"]] = attrs.get("value", "")
            else:
                self.fields[attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False


def parse_form(html):
    parser = FormParser()
    parser.feed(html)
    return parser


def submit_sign_in_form(session, page, username, password="password", *, deny=False, **kwargs):
    """Fill the provider's sign-in form on `page` (a response) and post it with `session`.

    Presses the sign-in button, or the deny/cancel one with `deny`; `kwargs` go to the POST
    (e.g. allow_redirects=False to stop at the provider's redirect back to the callback).
    """
    form = parse_form(page.text)
    assert "username" in form.fields and "password" in form.fields, page.text[:500]
    data = {**form.fields, "username": username, "password": password}
    for name, value in form.buttons.items():
        if ("deny" in value.lower() or "cancel" in value.lower()) == deny:
            data[name] = value
            break
    return session.post(urljoin(page.url, form.action or page.url), data=data, timeout=30, **kwargs)
