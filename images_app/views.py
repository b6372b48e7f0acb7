"""Pages and JSON endpoints: home, galleries, upload, assets and their actions."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .forms import GallerySearchForm, RejectForm, UploadForm
from .models import Asset, Environment, Status
from .responses import error_response, json_error, wants_json
from .roles import is_portal_admin


def visible_environment(request, slug):
    return get_object_or_404(Environment.objects.visible_to(request.user), slug=slug)


def visible_asset(request, asset_id):
    return get_object_or_404(
        Asset.objects.visible_to(request.user).select_related("environment", "uploaded_by"),
        pk=asset_id,
    )


def home(request):
    if not request.user.is_authenticated:
        return render(request, "images_app/landing.html")
    environments = Environment.objects.visible_to(request.user).with_status_counts()
    return render(request, "images_app/home.html", {"environments": environments, "statuses": Status})


def assets_page(request, environment, query):
    """The page of the environment's assets that ?status=, ?q= (checked) and ?page= ask for."""
    assets = Asset.objects.for_gallery(environment, status=request.GET.get("status", ""), query=query)
    paginator = Paginator(assets, settings.PORTAL_GALLERY_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def refused_search(request, search):
    return error_response(request, 400, "bad_search", search.errors["q"][0])


@login_required
def gallery(request, slug):
    environment = visible_environment(request, slug)
    search = GallerySearchForm(request.GET)
    if not search.is_valid():
        return refused_search(request, search)
    page = assets_page(request, environment, search.cleaned_data["q"])
    return render(
        request,
        "images_app/gallery.html",
        {
            "environment": environment,
            "page": page,
            "statuses": Status,
            "status_filter": request.GET.get("status", ""),
            "query": request.GET.get("q", ""),
            "any_pending": any(asset.is_pending for asset in page),
        },
    )


def asset_json(asset):
    return {
        "id": asset.pk,
        "filename": asset.filename,
        "status": asset.status,
        "pingone_image_id": asset.pingone_image_id or None,
        "targets": asset.targets or None,
        "error": asset.error,
        "sha256": asset.sha256,
        "width": asset.width,
        "height": asset.height,
        "created_at": asset.created_at.isoformat(),
        "attempts": asset.attempts,
        "href": asset.href or None,
        "thumbnail": asset.thumbnail_url,
        "url": asset.get_absolute_url(),
    }


@login_required
def assets_json(request, slug):
    environment = visible_environment(request, slug)
    search = GallerySearchForm(request.GET)
    if not search.is_valid():
        return refused_search(request, search)
    page = assets_page(request, environment, search.cleaned_data["q"])
    next_url = None
    if page.has_next():
        query = request.GET.copy()
        query["page"] = page.next_page_number()
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return JsonResponse({"assets": [asset_json(a) for a in page], "next": next_url})


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
                "max_size": f"{settings.PORTAL_MAX_IMAGE_BYTES:,} bytes",
                "max_files": settings.PORTAL_MAX_FILES_PER_UPLOAD,
            },
        )
    form = UploadForm(files=request.FILES)
    if not form.is_valid():
        error = form.errors.as_data()["files"][0]
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
