"""The home page, the galleries and their JSON."""

import functools

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render

from ..forms import GallerySearchForm
from ..models import DEFAULT_GALLERY_SORT, GALLERY_SORTS, Asset, Environment, Status, StatusCount
from ..pagination import BadCursor, Paginator
from ..responses import error_response
from .access import visible_environment


def home(request):
    if not request.user.is_authenticated:
        return render(request, "images_app/landing.html")
    environments = Environment.objects.visible_to(request.user).with_status_counts()
    return render(request, "images_app/home.html", {"environments": environments, "statuses": Status})


# A polling gallery asks for at most a page's worth of assets by id.
MAX_POLLED = 100


def gallery_sort(request):
    """The order ?sort= asks for; newest first when it names none this gallery knows."""
    return GALLERY_SORTS.get(request.GET.get("sort", ""), DEFAULT_GALLERY_SORT)


def assets_page(request, environment, query):
    """The page of the environment's assets that ?status=, ?q= (checked), ?sort= and ?page=
    (with the cursor of a next or previous link, ?after= or ?before=) ask for. BadCursor when
    the cursor is not one a link of this gallery carries."""
    status = request.GET.get("status", "")
    assets = Asset.objects.for_gallery(environment, status=status, query=query)
    counted = not query  # the kept counters know how many there are (a search shows no count)
    if request.GET.get("orphans") == "1":  # the admins' list of possible orphans
        assets = assets.possible_orphans()
        counted = False
    ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.strip().isdigit()][:MAX_POLLED]
    if ids:  # a gallery polling only the assets it is waiting on
        assets = assets.filter(pk__in=ids)
        counted = False
    paginator = Paginator(
        assets.select_related("uploaded_by").prefetch_related("uses"),
        gallery_sort(request),
        settings.PORTAL_GALLERY_PAGE_SIZE,
        count=functools.partial(StatusCount.objects.total, status, environment) if counted else None,
    )
    return paginator.get_page(
        request.GET.get("page"), after=request.GET.get("after"), before=request.GET.get("before")
    )


def refused_search(request, search):
    return error_response(request, 400, "bad_search", search.errors["q"][0])


def refused_page(request, error):
    return error_response(request, 400, "bad_page", str(error))


@login_required
def gallery(request, slug):
    environment = visible_environment(request, slug)
    search = GallerySearchForm(request.GET)
    if not search.is_valid():
        return refused_search(request, search)
    try:
        page = assets_page(request, environment, search.cleaned_data["q"])
    except BadCursor as error:
        return refused_page(request, error)
    return render(
        request,
        "images_app/gallery.html",
        {
            "environment": environment,
            "page": page,
            "statuses": Status,
            "status_filter": request.GET.get("status", ""),
            "query": request.GET.get("q", ""),
            "sorts": GALLERY_SORTS.values(),
            "sort": gallery_sort(request).name,
        },
    )


def asset_json(asset):
    """An asset as assets.json lists it (the contract's fields, and labels the page shows)."""
    return {
        "id": asset.pk,
        "filename": asset.filename,
        "status": asset.status,
        "status_label": asset.get_status_display(),
        "pending": asset.is_pending,
        "pingone_image_id": asset.pingone_image_id or None,
        "targets": asset.targets or None,
        "error": asset.error,
        "error_text": asset.error_text,
        "sha256": asset.sha256,
        "width": asset.width,
        "height": asset.height,
        "created_at": asset.created_at.isoformat(),
        "attempts": asset.attempts,
        "href": asset.href or None,
        "used_by": [use.as_json() for use in asset.uses.all()],
        "possible_orphan": asset.interrupted_at.isoformat() if asset.interrupted_at else None,
        "thumbnail": asset.thumbnail_url,
        "url": asset.get_absolute_url(),
    }


@login_required
def assets_json(request, slug):
    environment = visible_environment(request, slug)
    search = GallerySearchForm(request.GET)
    if not search.is_valid():
        return refused_search(request, search)
    try:
        page = assets_page(request, environment, search.cleaned_data["q"])
    except BadCursor as error:
        return refused_page(request, error)
    return JsonResponse({"assets": [asset_json(a) for a in page], "next": next_page_url(request, page)})


def next_page_url(request, page, *, cursor=True):
    """This request's absolute URL for the page after `page`, with its other parameters and
    (unless `cursor` is False: a plain ?page=N) the cursor that page continues from; None at the end."""
    if not page.has_next():
        return None
    query = request.GET.copy()
    changes = page.link_parameters("next") if cursor else {"page": page.next_page_number()}
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = value
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
