"""How the portal's processes write their logs: plain text by default, one JSON object per line
with LOG_FORMAT=json. The web (runserver, gunicorn), the worker and beat all log through
settings.LOGGING; every line carries what it is about (images_app.log_context) and no secret.
"""

import collections
import io
import logging
import logging.config
import os
import threading
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter

from images_app import log_context

from .log_redaction import SECRET_NAMES, redact

LOG_FORMATS = ("text", "json")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def log_format() -> str:
    """LOG_FORMAT from the environment (text unless set); read before Django's settings exist."""
    return (os.environ.get("LOG_FORMAT") or "").strip().lower() or "text"


def json_logging() -> bool:
    return log_format() == "json"


def configure(config: dict) -> None:
    """settings.LOGGING_CONFIG: Django's dictConfig, plus Python's warnings as log lines in JSON
    mode (a warning printed to stderr would be a line that is not JSON)."""
    logging.config.dictConfig(config)
    if any(handler.get("formatter") == "json" for handler in config.get("handlers", {}).values()):
        logging.captureWarnings(True)


# --- Celery: the request id of a message the worker's main process has just received ----------

_received = collections.OrderedDict()
_received_lock = threading.Lock()
RECEIVED_REMEMBERED = 1000


def remember_received(task_id: str, request_id: str | None) -> None:
    """The worker's main process logs "Task ... received" before any task context exists; this
    lets that line name the request that queued the task."""
    if not request_id:
        return
    with _received_lock:
        _received[task_id] = request_id
        while len(_received) > RECEIVED_REMEMBERED:
            _received.popitem(last=False)


def _received_request_id(record):
    data = getattr(record, "data", None)
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        with _received_lock:
            return _received.get(data["id"]), data["id"]
    return None, None


# --- Filter and formatter ----------------------------------------------------------------------


class AddLogContext(logging.Filter):
    """A handler filter: puts the current request id, task id, asset, environment and last
    PingOne Correlation-Id on the record (what the call passed in `extra` wins)."""

    def filter(self, record):
        context = log_context.current()
        for name in log_context.LINE_FIELDS:
            value = context.get(name)
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        if not hasattr(record, "request_id"):
            request_id, task_id = _received_request_id(record)
            if request_id:
                record.request_id = request_id
                record.task_id = task_id
        return True


def _summary(value):
    """A value JSON cannot hold as it is: Django's request as method and path, else its text."""
    method, path = getattr(value, "method", None), getattr(value, "path", None)
    if isinstance(method, str) and isinstance(path, str):
        return f"{method} {path}"
    return str(value)


def _clean(value):
    """Every text redacted, every value something JSON holds."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {
            str(key): "[redacted]" if str(key).lower() in SECRET_NAMES else _clean(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set):
        return [_clean(item) for item in value]
    return redact(_summary(value))


class JsonLines(JsonFormatter):
    """One JSON object per line: time, level, logger, message, the context fields, any `extra`,
    and the traceback as one string; secret-looking values redacted everywhere."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(PLAIN_FORMAT, *args, **kwargs)

    def formatTime(self, record, datefmt=None):  # noqa: N802  (logging's name)
        """ISO 8601 in UTC, to the millisecond: 2026-01-31T12:00:00.123Z."""
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        return when.replace("+00:00", "Z")

    def add_fields(self, log_data, record, message_dict):
        super().add_fields(log_data, record, message_dict)
        args = record.args
        if record.name == "gunicorn.access" and isinstance(args, dict):
            # gunicorn's access line: the request id the portal answered with, when the access
            # log format does not already show it.
            log_data.setdefault("request_id", args.get("{x-request-id}o") or None)

    def process_log_record(self, log_data):
        request = log_data.get("request")
        if request is not None and not isinstance(getattr(request, "path", None), str):
            del log_data["request"]  # the development server's socket: nothing a reader needs
        return {
            key: "[redacted]" if key.lower() in SECRET_NAMES else _clean(v) for key, v in log_data.items()
        }


def logging_config(log_format: str, level: str = "INFO") -> dict:
    """settings.LOGGING for a format: `text` (the default) or `json`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "log_context": {"()": "portal.logging_setup.AddLogContext"},
            "redact_secrets": {"()": "portal.log_redaction.RedactSecrets"},
        },
        "formatters": {
            "plain": {"format": PLAIN_FORMAT},
            "json": {"()": "portal.logging_setup.JsonLines"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if log_format == "json" else "plain",
                "filters": ["log_context", "redact_secrets"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Through the root's handler only: Django's own default handlers print plain text.
            "django": {"level": "INFO"},
            "django.db.backends": {"level": "WARNING"},
            # The development server's access log: through the redacting handler (the callback's
            # query string holds the authorization code), not Django's own.
            "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
            # authlib's and urllib3's debug lines carry PKCE verifiers, codes and tokens.
            "authlib": {"level": "INFO"},
            "urllib3": {"level": "INFO"},
        },
    }


def gunicorn_logconfig_dict(level: str = "INFO") -> dict:
    """gunicorn's own loggers (gunicorn.error: start-up and workers; gunicorn.access) through the
    portal's handler, for gunicorn.conf.py: `logconfig_dict = gunicorn_logconfig_dict()`."""
    config = logging_config(log_format(), level)
    config["loggers"] = {
        "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    }
    config["root"] = {"handlers": ["console"], "level": level}
    return config


# --- runserver's own output ----------------------------------------------------------------------


class LogLines(io.TextIOBase):
    """A text stream that writes each complete line as one log record (runserver's banner and
    system checks, so that in JSON mode the development server too writes nothing but JSON)."""

    def __init__(self, logger: logging.Logger, level: int = logging.INFO):
        self.logger, self.level, self._pending = logger, level, ""

    def writable(self):
        return True

    def isatty(self):
        return False

    def write(self, text):
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if line.strip():
                self.logger.log(self.level, line.rstrip())
        return len(text)

    def flush(self):
        if self._pending.strip():
            self.logger.log(self.level, self._pending.rstrip())
        self._pending = ""
