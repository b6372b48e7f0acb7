"""The uploader's own uploads across environments, those needing attention first."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render

from ..models import MY_UPLOADS_SORT, NEEDS_ATTENTION, Asset, Status
from ..pagination import Paginator
from ..responses import wants_json
from .galleries import asset_json, next_page_url

ATTENTION_LABELS = {
    Status.FAILED: "failed",
    Status.REJECTED: "rejected",
    Status.AWAITING_REVIEW: "waiting for review",
}


def attention_counts(assets):
    """(status, label, count) for each status that needs the uploader's attention."""
    counts = assets.attention_counts()
    return [(s.value, ATTENTION_LABELS[s], counts[s.value]) for s in NEEDS_ATTENTION]


@login_required
def my_uploads(request):
    """The signed-in user's uploads in the environments they may still open; ?status=, ?page=."""
    mine = Asset.objects.uploaded_by(request.user).in_environments_open_to(request.user)
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    assets = (
        mine.with_status(status)
        .needing_attention_first()
        .select_related("environment")
        .prefetch_related("uses")
    )
    # An index serves this order per uploader; the count of pages is bounded.
    paginator = Paginator(assets, MY_UPLOADS_SORT, settings.PORTAL_GALLERY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    counts = attention_counts(mine)
    if wants_json(request):
        return JsonResponse(
            {
                "assets": [{**asset_json(a), "environment": a.environment.slug} for a in page],
                "counts": {value: count for value, _, count in counts},
                "next": next_page_url(request, page, cursor=False),
            }
        )
    return render(
        request,
        "images_app/my_uploads.html",
        {"page": page, "counts": counts, "statuses": Status, "status_filter": status},
    )
