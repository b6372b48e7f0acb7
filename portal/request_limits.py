"""Refuse request bodies the portal would never accept, from the headers alone, before any is read.

Django's CSRF check reads a multipart body (spooling its files to disk) before a view can say
no; this middleware answers first: 413 for a body larger than an upload can legitimately be,
and the sign-in redirect for an anonymous POST to an upload URL.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.urls import Resolver404, resolve

from images_app import metrics
from images_app.responses import error_response, json_error, wants_json

UPLOAD_VIEW = "images:upload"
# Multipart framing and form fields around each file, and for the request as a whole.
PART_OVERHEAD = 16 * 1024
REQUEST_OVERHEAD = 256 * 1024
# Any other POST is a small form (an action, a reason, sign-out).
SMALL_BODY = 256 * 1024


def max_upload_body():
    """The largest body the upload page can send: every allowed file at the byte limit."""
    per_file = settings.PORTAL_MAX_IMAGE_BYTES + PART_OVERHEAD
    return settings.PORTAL_MAX_FILES_PER_UPLOAD * per_file + REQUEST_OVERHEAD


def _view_name(request):
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return None


def _content_length(request):
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


class RequestLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("POST", "PUT", "PATCH"):
            refused = self.refuse(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def refuse(self, request):
        is_upload = _view_name(request) == UPLOAD_VIEW
        if is_upload and not request.user.is_authenticated:
            metrics.record_upload_refused("sign_in_required")
            if wants_json(request):
                return json_error("sign_in_required", "Sign in to upload.", 401)
            return redirect_to_login(request.path, settings.LOGIN_URL)
        length = _content_length(request)
        limit = max_upload_body() if is_upload else SMALL_BODY
        if length is None or length > limit:
            message = (
                f"The request is larger than the portal accepts ({limit:,} bytes at most)."
                if length
                else "The request's Content-Length is not a number."
            )
            if is_upload:
                metrics.record_upload_refused("request_too_large")
            return error_response(request, 413, "request_too_large", message)
        return None
