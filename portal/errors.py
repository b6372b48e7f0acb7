"""Error pages that answer JSON to clients that asked for JSON."""

from django.conf import settings
from django.core.exceptions import DisallowedHost, TooManyFilesSent

from images_app.responses import error_response as answer


def bad_request(request, exception=None):
    if isinstance(exception, TooManyFilesSent):
        limit = settings.PORTAL_MAX_FILES_PER_UPLOAD
        return answer(request, 413, "too_many_files", f"At most {limit} files can be uploaded at once.")
    if isinstance(exception, DisallowedHost):
        return answer(request, 400, "bad_host", "This portal does not answer to that host name.")
    return answer(request, 400, "bad_request", "The request could not be understood.")


def permission_denied(request, exception=None):
    # A view's PermissionDenied("...") says why; keep that for the person who was refused.
    message = str(exception) if exception and str(exception) else "You do not have access to this."
    return answer(request, 403, "forbidden", message)


def not_found(request, exception=None):
    return answer(request, 404, "not_found", "There is nothing here, or you do not have access.")


def server_error(request):
    return answer(request, 500, "server_error", "Something went wrong on our side.")


def csrf_failure(request, reason=""):
    return answer(
        request, 403, "csrf_failed", "The form expired or came from elsewhere. Reload the page and try again."
    )
