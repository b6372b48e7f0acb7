"""Answers in JSON for clients that ask for JSON: `{"error": {"code", "message"}}` for refusals."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def wants_json(request: HttpRequest) -> bool:
    """Whether the client asked for JSON (Accept: application/json)."""
    return "application/json" in request.headers.get("Accept", "")


def json_error(code: str, message: str, status: int) -> JsonResponse:
    """A refusal in the shape every JSON client of the portal reads."""
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def error_response(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    """The refusal as JSON for JSON clients, else as the portal's error page."""
    if wants_json(request):
        return json_error(code, message, status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)
