"""Error pages that answer JSON to clients that asked for JSON."""

from django.conf import settings
from django.core.exceptions import TooManyFilesSent
from django.shortcuts import render

from images_app.responses import json_error, wants_json


def _answer(request, status, code, message):
    if wants_json(request):
        return json_error(code, message, status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def bad_request(request, exception=None):
    if isinstance(exception, TooManyFilesSent):
        limit = settings.PORTAL_MAX_FILES_PER_UPLOAD
        return _answer(request, 413, "too_many_files",
                       f"At most {limit} files can be uploaded at once.")
    return _answer(request, 400, "bad_request", "The request could not be understood.")


def permission_denied(request, exception=None):
    # A view's PermissionDenied("...") says why; keep that for the person who was refused.
    message = str(exception) if exception and str(exception) else "You do not have access to this."
    return _answer(request, 403, "forbidden", message)


def not_found(request, exception=None):
    return _answer(request, 404, "not_found", "There is nothing here, or you do not have access.")


def server_error(request):
    return _answer(request, 500, "server_error", "Something went wrong on our side.")


def csrf_failure(request, reason=""):
    return _answer(request, 403, "csrf_failed",
                   "The form expired or came from elsewhere. Reload the page and try again.")
