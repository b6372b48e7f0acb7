"""What a log line is about: the request that started the work, the asset, the environment, and
the calls made to PingOne.

One context variable holds these values, so each request thread and each Celery task sees its
own. The portal's log handler reads them into every line (portal.logging_setup); the request id
travels with a push through the task's message headers, so the worker's lines name the upload
that queued them.
"""

import contextvars
import logging
import time
from urllib.parse import urlsplit

log = logging.getLogger("images_app.pingone.calls")

# request_id, task_id, asset, environment, correlation_id (of the last PingOne answer) go into
# every line; pingone_status stays here for the push's metrics.
LINE_FIELDS = ("request_id", "task_id", "asset", "environment", "correlation_id")
_CONTEXT: contextvars.ContextVar[dict | None] = contextvars.ContextVar("portal_log_context", default=None)

# The Celery message header that carries the request id from the web to the worker.
REQUEST_ID_HEADER = "portal_request_id"


def _get() -> dict:
    return _CONTEXT.get() or {}


def start(**values) -> contextvars.Token:
    """Begin a unit of work (a request, a task) with only these values; reset() ends it."""
    return _CONTEXT.set({key: value for key, value in values.items() if value is not None})


def reset(token: contextvars.Token) -> None:
    _CONTEXT.reset(token)


def clear() -> None:
    _CONTEXT.set({})


def bind(**values) -> None:
    """Add values (asset=, environment=, ...) to the current unit of work's lines."""
    _CONTEXT.set({**_get(), **{key: value for key, value in values.items() if value is not None}})


def current() -> dict:
    """The values every line of the current unit of work carries."""
    return _get()


def request_id() -> str | None:
    return _get().get("request_id")


def last_pingone_answer() -> tuple[int | None, str]:
    """Status and Correlation-Id of the last PingOne call in this unit of work (None: no answer)."""
    context = _get()
    return context.get("pingone_status"), context.get("correlation_id", "")


def forget_pingone_answer() -> None:
    context = dict(_get())
    context.pop("pingone_status", None)
    context.pop("correlation_id", None)
    _CONTEXT.set(context)


def call_pingone(send, method: str, url: str, **kwargs):
    """send(method, url, **kwargs), with one log line for the call: method, path, status,
    duration and PingOne's Correlation-Id (a call that got no answer is logged with its error)."""
    started = time.perf_counter()
    try:
        response = send(method, url, **kwargs)
    except Exception as exc:
        pingone_call_line(method, url, None, started, "", error=type(exc).__name__)
        raise
    pingone_call_line(method, url, response.status_code, started, response.headers.get("Correlation-Id", ""))
    return response


def log_pingone_response(response, *args, **kwargs):
    """A requests response hook doing the same for calls made through a library (the token)."""
    started = time.perf_counter() - response.elapsed.total_seconds()
    request = response.request
    pingone_call_line(
        request.method, request.url, response.status_code, started, response.headers.get("Correlation-Id", "")
    )
    return response


def pingone_call_line(method, url, status, started, correlation_id, error=""):
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    path = urlsplit(url).path  # never the query string
    _CONTEXT.set({**_get(), "pingone_status": status, "correlation_id": correlation_id or None})
    answer = f"answered {status}" if status is not None else f"did not answer ({error})"
    log.info(
        "PingOne %s %s %s in %.0f ms (Correlation-Id %s)",
        method,
        path,
        answer,
        duration_ms,
        correlation_id or "-",
        extra={
            "pingone_method": method,
            "pingone_path": path,
            "pingone_status": status,
            "duration_ms": duration_ms,
            "correlation_id": correlation_id or None,
        },
    )
