"""PingOne-shaped error bodies, and the handlers that answer every HTTP error with one."""

import uuid

from flask import current_app, jsonify
from werkzeug.exceptions import HTTPException

CODES = {
    400: "INVALID_DATA",
    401: "ACCESS_FAILED",
    403: "ACCESS_FAILED",
    404: "NOT_FOUND",
    405: "INVALID_REQUEST",
    415: "INVALID_REQUEST",
    429: "REQUEST_LIMITED",
    500: "UNEXPECTED_ERROR",
}

MESSAGES = {
    400: "The request could not be completed. One or more validation errors were in the request.",
    401: "The request could not be completed. You do not have access to this resource.",
    403: "The actor attempting to perform the request is not authorized.",
    404: "The request could not be completed. The requested resource was not found.",
    405: "Method not allowed",
    415: "The request could not be completed. The content type is not supported.",
    429: "The request could not be completed. The request was rate limited.",
    500: "An unexpected error occurred.",
}


def error_response(status, code=None, message=None, details=None, headers=None):
    """Return a Flask response carrying a PingOne error body."""
    body = {
        "id": str(uuid.uuid4()),
        "code": code or CODES.get(status, "UNEXPECTED_ERROR"),
        "message": message or MESSAGES.get(status, "The request could not be completed."),
    }
    if details:
        body["details"] = details
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def invalid_token(message="The access token is missing, expired or not valid for this API."):
    """Return the 401 PingOne answers for a missing or bad Bearer token."""
    return error_response(
        401,
        message="The request could not be completed. You do not have access to this resource.",
        details=[{"code": "INVALID_TOKEN", "message": message}],
    )


def _http_error(exc):
    response = error_response(exc.code or 500)
    if getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _unexpected_error(exc):
    current_app.logger.exception("unexpected error", exc_info=exc)
    return error_response(500)


def register_error_handlers(app):
    """Answer every HTTP error (404, 405, 500...) with a PingOne JSON body."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
