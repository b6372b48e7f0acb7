"""Server-rendered pieces of the pages that update themselves while work is pending.

The gallery, the upload page and an asset's page fetch these and swap them in, so labels,
links and layout come from the same templates as the full pages, never from JavaScript.
Each answers only for the user's own environments (404 otherwise), in a fixed number of queries.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from ..forms import GallerySearchForm
from ..models import Asset
from .access import visible_asset, visible_environment
from .assets import asset_page_context
from .galleries import refused_search

# A page asks for at most a page's worth of assets it already shows, by id.
MAX_IDS = 100
# An asset's id is handed out when its row is inserted, but the row is seen only when its upload
# commits, so an asset can appear after a newer one already did (two uploads at once, a slow
# staging write). Cards made this recently are sent again with the newer ones; the page draws
# each card once, so one that committed late still shows up.
LATE_COMMIT = timedelta(seconds=30)


def requested_ids(request):
    """The ids in ?ids=1,2,3 (digits only, at most MAX_IDS)."""
    return [int(i) for i in request.GET.get("ids", "").split(",") if i.strip().isdigit()][:MAX_IDS]


def shows_newest_first(request):
    """Whether the gallery asking is its first page in the newest-first order, where new uploads go."""
    return request.GET.get("sort", "") in ("", "newest") and request.GET.get("page", "") in ("", "1")


@never_cache
@login_required
def gallery_cards(request, slug):
    """Cards of a gallery: those it asks for by ?ids=, and those added since ?after= (an asset id,
    and any made in the last LATE_COMMIT) that match its ?status=, ?q= and ?orphans=, newest
    first (at most a page of them)."""
    environment = visible_environment(request, slug)
    search = GallerySearchForm(request.GET)
    if not search.is_valid():
        return refused_search(request, search)
    ids = requested_ids(request)
    after = request.GET.get("after", "")
    if after.isdigit() and shows_newest_first(request):
        newer = Asset.objects.for_gallery(
            environment, status=request.GET.get("status", ""), query=search.cleaned_data["q"]
        ).filter(Q(pk__gt=int(after)) | Q(created_at__gte=timezone.now() - LATE_COMMIT))
        if request.GET.get("orphans") == "1":
            newer = newer.possible_orphans()
        ids += newer.values_list("pk", flat=True)[: settings.PORTAL_GALLERY_PAGE_SIZE]
    assets = (
        Asset.objects.for_environment(environment)
        .filter(pk__in=ids)
        .select_related("uploaded_by")
        .prefetch_related("uses")
    )
    return render(request, "images_app/_asset_cards.html", {"assets": assets})


@never_cache
@login_required
def my_upload_cards(request):
    """The cards My uploads asks for by ?ids= (its own uploads on their way), drawn as that page
    draws them: another person's upload, or one in an environment no longer open to the
    uploader, is never drawn."""
    assets = (
        Asset.objects.uploaded_by(request.user)
        .in_environments_open_to(request.user)
        .filter(pk__in=requested_ids(request))
        .needing_attention_first()
        .select_related("environment")
        .prefetch_related("uses")
    )
    return render(request, "images_app/_asset_cards.html", {"assets": assets, "mine": True})


@never_cache
@login_required
def upload_outcomes(request, slug):
    """What became of the assets an upload page follows (?ids=): status, reason and a link each."""
    environment = visible_environment(request, slug)
    assets = Asset.objects.for_environment(environment).filter(pk__in=requested_ids(request))
    return render(request, "images_app/_upload_outcomes.html", {"assets": assets})


@never_cache
@login_required
def asset_state(request, asset_id):
    """The part of an asset's page that changes with its status: facts, actions and history."""
    asset = visible_asset(request, asset_id)
    return render(request, "images_app/_asset_state.html", asset_page_context(request, asset))
