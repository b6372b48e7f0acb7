"""One asset: its page, its staged file, and the actions on it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import services
from ..forms import RejectForm
from ..models import Status
from ..responses import json_error, wants_json
from ..roles import is_portal_admin
from .access import visible_asset
from .galleries import asset_json


@login_required
def asset_detail(request, asset_id):
    asset = visible_asset(request, asset_id)
    return render(
        request,
        "images_app/asset_detail.html",
        {
            "asset": asset,
            "events": asset.events.select_related("actor"),
            "can_retry": asset.is_failed and can_retry(request.user, asset),
            "can_review": asset.status == Status.AWAITING_REVIEW and is_portal_admin(request.user),
            "reject_form": RejectForm(),
        },
    )


@login_required
def asset_file(request, asset_id):
    """The staged bytes, for thumbnails before PingOne hosts the image."""
    asset = visible_asset(request, asset_id)
    try:
        handle = asset.file.open("rb")
    except FileNotFoundError:
        raise Http404("The staged file is gone.")
    response = FileResponse(handle, content_type=asset.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


def can_retry(user, asset):
    return asset.uploaded_by_id == user.pk or is_portal_admin(user)


def action_done(request, asset, done, message):
    if wants_json(request):
        if not done:
            return json_error("conflict", message, 409)
        return JsonResponse({"asset": asset_json(asset)})
    (messages.success if done else messages.error)(request, message)
    return redirect(asset)


@login_required
@require_POST
def retry(request, asset_id):
    asset = visible_asset(request, asset_id)
    if not can_retry(request.user, asset):
        raise PermissionDenied("Only the uploader or an admin can retry.")
    done = services.retry(asset, request.user)
    return action_done(
        request, asset, done, "Queued again." if done else "Only a failed upload can be retried."
    )


@login_required
@require_POST
def approve(request, asset_id):
    asset = visible_asset(request, asset_id)
    if not is_portal_admin(request.user):
        raise PermissionDenied("Only admins can approve.")
    done = services.approve(asset, request.user)
    return action_done(
        request, asset, done, "Approved and queued." if done else "This upload is not awaiting review."
    )


@login_required
@require_POST
def reject(request, asset_id):
    asset = visible_asset(request, asset_id)
    if not is_portal_admin(request.user):
        raise PermissionDenied("Only admins can reject.")
    form = RejectForm(request.POST)
    if not form.is_valid():
        message = "Give a reason for the rejection."
        if wants_json(request):
            return json_error("reason_required", message, 400)
        messages.error(request, message)
        return redirect(asset)
    done = services.reject(asset, request.user, form.cleaned_data["reason"])
    return action_done(request, asset, done, "Rejected." if done else "This upload is not awaiting review.")


@login_required
@require_POST
def delete(request, asset_id):
    raise PermissionDenied("Only admins can delete.")


@login_required
@require_POST
def promote(request, asset_id):
    raise PermissionDenied("Not yet.")
