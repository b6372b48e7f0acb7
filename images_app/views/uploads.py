"""The upload page and the upload itself (one answer per file)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .. import metrics, services
from ..forms import UploadForm
from ..responses import json_error, wants_json
from .access import visible_environment


@login_required
@require_http_methods(["GET", "POST"])
def upload(request, slug):
    environment = visible_environment(request, slug)
    if request.method == "GET":
        return render(
            request,
            "images_app/upload.html",
            {
                "environment": environment,
                "form": UploadForm(),
                "max_bytes": settings.PORTAL_MAX_IMAGE_BYTES,
                "max_files": settings.PORTAL_MAX_FILES_PER_UPLOAD,
            },
        )
    form = UploadForm(files=request.FILES)
    if not form.is_valid():
        error = form.errors.as_data()["files"][0]
        metrics.record_upload_refused(error.code)
        if wants_json(request):
            status = 413 if error.code == "too_many_files" else 400
            return json_error(error.code, error.messages[0], status)
        messages.error(request, error.messages[0])
        return redirect("images:upload", slug=environment.slug)
    results = services.stage_uploads(environment, request.user, form.cleaned_data["files"])
    if wants_json(request):
        return JsonResponse({"files": [r.as_json() for r in results]})
    for result in results:
        level = messages.SUCCESS if result.staged else messages.WARNING
        messages.add_message(request, level, f"{result.filename}: {result.message}")
    return redirect(environment)
