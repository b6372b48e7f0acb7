"""Keep secrets out of log lines: OAuth codes, verifiers, tokens, secrets and session ids."""

import logging
import re

SECRET_NAMES = (
    "code",
    "code_verifier",
    "state",
    "nonce",
    "access_token",
    "refresh_token",
    "id_token",
    "id_token_hint",
    "client_secret",
    "password",
    "sessionid",
    "csrftoken",
    "csrfmiddlewaretoken",
    "token",
)
# name=value in a query string or form body, "name": "value" in JSON or a repr, name: value.
_NAMES = "|".join(SECRET_NAMES)
_PAIR = re.compile(
    rf"""(?P<name>\b(?:{_NAMES})\b)(?P<sep>['"]?\s*[=:]\s*['"]?)(?P<value>[^&\s'",;){{}}]+)""",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    """The text with the value of every secret-looking pair replaced by [redacted]."""
    text = _PAIR.sub(lambda m: f"{m['name']}{m['sep']}[redacted]", text)
    return _BEARER.sub(lambda m: f"{m[1]} [redacted]", text)


class RedactSecrets(logging.Filter):
    """A handler filter: formats the record's message once, redacted."""

    def filter(self, record):
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
