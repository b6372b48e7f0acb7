"""Every request gets an id: the caller's `X-Request-ID` when it looks like one (a load balancer's
or a proxy's), else a new uuid4. It is echoed in the answer's `X-Request-ID`, carried by every log
line written while the request runs, and sent along with the pushes it queues (portal.celery)."""

import re
import uuid

from images_app import log_context

HEADER = "X-Request-ID"
# Letters, digits and a little punctuation (uuids, AWS trace ids, base64), at most 128 of them:
# anything else (a newline, a megabyte, quotes) is not an id and is replaced.
SANE = re.compile(r"[A-Za-z0-9._:;=+/-]{1,128}")


def request_id_from(value: str | None) -> str:
    """The caller's request id if sane, else a new one."""
    if value and SANE.fullmatch(value):
        return value
    return str(uuid.uuid4())


class RequestIdMiddleware:
    """First in MIDDLEWARE, so even a refusal by a later middleware carries the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_from(request.headers.get(HEADER))
        token = log_context.start(request_id=request.request_id)
        try:
            response = self.get_response(request)
        finally:
            log_context.reset(token)
        response[HEADER] = request.request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Lines about one environment's or one asset's page name it."""
        log_context.bind(environment=view_kwargs.get("slug"), asset=view_kwargs.get("asset_id"))
