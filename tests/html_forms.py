"""Reading an HTML form the way a browser submits it."""

from html.parser import HTMLParser


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
