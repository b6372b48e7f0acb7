"""One asset: its page, its staged file, and the actions on it."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .. import branding, services
from ..forms import ApplyForm, PromoteForm, RejectForm
from ..models import Asset, Environment
from ..responses import json_error, wants_json
from ..roles import is_portal_admin
from .access import visible_asset
from .galleries import asset_json

log = logging.getLogger(__name__)


@login_required
def asset_detail(request, asset_id):
    asset = visible_asset(request, asset_id)
    return render(request, "images_app/asset_detail.html", asset_page_context(request, asset))


def asset_page_context(request, asset):
    """What the asset's page shows of it; its live part (fragments.asset_state) is drawn from the same."""
    admin = is_portal_admin(request.user)
    targets = Environment.objects.visible_to(request.user).exclude(pk=asset.environment_id)
    return {
        "asset": asset,
        "events": asset.events.select_related("actor").order_by("-created_at", "-id"),
        "promotions": asset.promotions.visible_to(request.user).select_related("environment"),
        "source_visible": asset.source_id
        and Asset.objects.visible_to(request.user).filter(pk=asset.source_id).exists(),
        "can_retry": asset.is_failed and can_retry(request.user, asset),
        "can_review": asset.is_awaiting_review and admin,
        "can_delete": asset.is_live and admin,
        "promote_targets": list(targets) if asset.is_live else [],
        "reject_form": RejectForm(),
    }


@login_required
def asset_file(request, asset_id):
    """The staged bytes, for thumbnails before PingOne hosts the image: served by the portal to
    those who may see the asset (staged files are private, on disk or in S3)."""
    asset = visible_asset(request, asset_id)
    if not asset.file:
        raise Http404("The staged file was removed.")
    try:
        handle = asset.file.open("rb")
        # Built here: finding the length reads the object, and S3 may fail on that too.
        response = FileResponse(handle, content_type=asset.content_type)
    except FileNotFoundError:
        raise Http404("The staged file is gone.")
    except Exception:  # noqa: BLE001  (S3 down or refusing: any of boto3's errors)
        log.exception("Could not read the staged file of asset %s", asset.pk)
        return HttpResponse(
            "The staged file cannot be read right now.", status=503, content_type="text/plain"
        )
    # Private: shared caches must not keep what only some users may see.
    response["Cache-Control"] = "private, max-age=3600"
    return response


def can_retry(user, asset):
    return asset.uploaded_by_id == user.pk or is_portal_admin(user)


def action_done(request, asset, done, message, back=None):
    if wants_json(request):
        if not done:
            return json_error("conflict", message, 409)
        return JsonResponse({"asset": asset_json(asset)})
    (messages.success if done else messages.error)(request, message)
    return redirect_back(request, asset, back)


def redirect_back(request, asset, back):
    """To `back` when it is a page of this portal (the branding page), else the asset's page."""
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
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
    """Admins take a live image down from PingOne; the asset stays, marked deleted."""
    asset = visible_asset(request, asset_id)
    if not is_portal_admin(request.user):
        raise PermissionDenied("Only admins can delete.")
    outcome = services.delete_from_pingone(asset, request.user)
    if outcome.deleted or not wants_json(request):
        return action_done(request, asset, outcome.deleted, outcome.message)
    status = 409 if outcome.code in ("conflict", "in_use") else 502
    return json_error(outcome.code, outcome.message, status)


@login_required
@require_POST
def promote(request, asset_id):
    """Copy a live asset to other environments the user may upload to; one answer per target."""
    asset = visible_asset(request, asset_id)
    form = PromoteForm(request.POST)
    if not asset.is_live:
        return action_done(request, asset, False, "Only a live image can be promoted.")
    if not form.is_valid():
        message = form.errors["environments"][0]
        if wants_json(request):
            return json_error("no_environments", message, 400)
        messages.error(request, message)
        return redirect(asset)
    results = services.promote(asset, request.user, form.cleaned_data["environments"])
    if wants_json(request):
        return JsonResponse({"asset": asset_json(asset), "environments": [r.as_json() for r in results]})
    for result in results:
        level = messages.SUCCESS if result.outcome in ("staged", "awaiting_review") else messages.WARNING
        messages.add_message(
            request, level, f"{result.environment}: {PROMOTED[result.outcome]} {result.message}"
        )
    return redirect(asset)


PROMOTED = {
    "staged": "promoted.",
    "awaiting_review": "promoted, waiting for review.",
    "duplicate": "already there.",
    "not_allowed": "not allowed.",
    "refused": "not promoted.",
    "rejected": "not promoted.",
}


@login_required
@require_POST
def apply(request, asset_id):
    """Put a live asset on a sign-on screen of its environment (DESIGN.md's contract)."""
    asset = visible_asset(request, asset_id)
    if not can_apply(request.user, asset):
        raise PermissionDenied(
            "Only admins can put images on sign-on screens in an environment that requires review."
        )
    form = ApplyForm(request.POST)
    if not form.is_valid():
        error = next(iter(form.errors.as_data().values()))[0]
        return answer_apply(request, asset, error.code or "invalid", error.messages[0], 400)
    try:
        outcome = branding.apply(asset, request.user, **form.cleaned_data)
    except branding.ApplyRefused as refused:
        return answer_apply(request, asset, refused.code, refused.message, refused.status)
    except branding.ApplyFailed as failed:
        return answer_apply(request, asset, failed.code, failed.message, 502)
    return action_done(request, asset, True, f"Put on {outcome.description}.", back=request.POST.get("next"))


def can_apply(user, asset):
    """Admins; and the environment's uploaders where it does not require review."""
    return is_portal_admin(user) or not asset.environment.review_required


def answer_apply(request, asset, code, message, status):
    if wants_json(request):
        return json_error(code, message, status)
    messages.error(request, message)
    return redirect_back(request, asset, request.POST.get("next"))
