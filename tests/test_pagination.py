"""Following the gallery's Next links (and assets.json's `next`) shows every asset exactly once,
in the order chosen, with the filters kept, even while new assets arrive."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from images_app.models import Asset, Status, StatusCount
from images_app.pagination import MoreThan, bounded_counts
from tests.rows import bare_asset

PER_PAGE = 5
STATUSES = [Status.LIVE, Status.QUEUED, Status.FAILED]
NAMES = ["logo", "banner", "Icon", "logo", "hero"]  # names repeat: the id decides among equals


@pytest.fixture(autouse=True)
def small_pages(settings):
    settings.PORTAL_GALLERY_PAGE_SIZE = PER_PAGE


def make_assets(environment, count, start=0, when=None):
    """`count` assets, three at a time sharing one creation time (the id decides among them)."""
    when = when or timezone.now() - timedelta(days=1)
    made = Asset.objects.bulk_create(
        bare_asset(
            environment,
            n,
            filename=f"{NAMES[n % len(NAMES)]}-{n % 7}.png",
            status=STATUSES[n % len(STATUSES)],
            created_at=when + timedelta(seconds=n // 3),
        )
        for n in range(start, start + count)
    )
    StatusCount.objects.rebuild()  # a bulk insert passes the counters by
    return made


ORDERS = {
    "newest": lambda a: (-a.created_at.timestamp(), -a.pk),
    "oldest": lambda a: (a.created_at.timestamp(), a.pk),
    "name": lambda a: (a.filename, a.pk),
}


def expected(environment, order, status="", query=""):
    assets = Asset.objects.filter(environment=environment)
    if status:
        assets = assets.filter(status=status)
    if query:
        assets = assets.filter(filename__icontains=query)
    return [a.pk for a in sorted(assets, key=ORDERS[order])]


def gallery_page(client, url):
    """The ids on a gallery page, and the query string of its Next link (None on the last)."""
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.content.decode()
    ids = [int(i) for i in re.findall(r'data-asset-id="(\d+)"', page)]
    link = re.search(r'<a rel="next" href="\?([^"]+)"', page)
    return ids, link.group(1).replace("&amp;", "&") if link else None


def follow_gallery(client, path, query, between_pages=None):
    """Every id shown from the first page to the last, and the query string of every Next link."""
    seen, links, url = [], [], f"{path}?{query}"
    while True:
        ids, link = gallery_page(client, url)
        seen += ids
        if link is None:
            return seen, links
        links.append(parse_qs(link))
        if between_pages:
            between_pages()
        url = f"{path}?{link}"


@pytest.mark.parametrize("order", ["newest", "oldest", "name"])
@pytest.mark.parametrize("filters", [{}, {"status": "live"}, {"q": "logo"}], ids=["all", "status", "search"])
def test_following_next_shows_every_asset_once_in_order_with_the_filters_kept(
    client, admin_user, environments, order, filters
):
    production = environments["production"]
    make_assets(production, 37)
    make_assets(environments["staging"], 4)  # another environment's never show
    client.force_login(admin_user)
    query = "&".join(f"{k}={v}" for k, v in {**filters, "sort": order}.items())

    seen, links = follow_gallery(client, "/environments/production/", query)

    assert seen == expected(production, order, filters.get("status", ""), filters.get("q", ""))
    assert len(links) == -(-len(seen) // PER_PAGE) - 1
    for number, link in enumerate(links, start=2):
        assert link["page"] == [str(number)] and link["sort"] == [order] and link["after"]
        for name, value in filters.items():
            assert link[name] == [value]


@pytest.mark.parametrize("order", ["newest", "oldest", "name"])
def test_assets_arriving_between_pages_neither_repeat_nor_hide_the_others(
    client, admin_user, environments, order
):
    production = environments["production"]
    make_assets(production, 23)
    before = expected(production, order)
    client.force_login(admin_user)
    arrivals = iter(range(100, 200, 2))

    def upload_two_more():
        make_assets(production, 2, start=next(arrivals), when=timezone.now())

    seen, _ = follow_gallery(client, "/environments/production/", f"sort={order}", upload_two_more)

    assert len(seen) == len(set(seen))
    assert [pk for pk in seen if pk in before] == before
    if order == "newest":  # the new ones are above the first page: not among the pages that follow
        assert seen == before


@pytest.mark.parametrize("order", ["newest", "oldest", "name"])
def test_assets_json_next_walks_every_asset_once_in_order(client, admin_user, environments, order):
    production = environments["production"]
    make_assets(production, 17)
    client.force_login(admin_user)
    url, seen = f"/environments/production/assets.json?sort={order}&status=live", []
    while url:
        answer = client.get(url).json()
        seen += [a["id"] for a in answer["assets"]]
        assert set(answer["assets"][0]) >= {"id", "filename", "status", "pingone_image_id", "created_at"}
        url = answer["next"]
        if url:
            query = parse_qs(urlsplit(url).query)
            assert url.startswith("http://testserver/environments/production/assets.json?")
            assert query["sort"] == [order] and query["status"] == ["live"]
    assert seen == expected(production, order, "live")


def test_previous_goes_back_to_the_same_assets(client, admin_user, environments):
    make_assets(environments["production"], 16)
    client.force_login(admin_user)
    path = "/environments/production/"
    first, link = gallery_page(client, f"{path}?sort=name")
    second, link = gallery_page(client, f"{path}?{link}")
    third, _ = gallery_page(client, f"{path}?{link}")
    page = client.get(f"{path}?{link}").content.decode()
    back = re.search(r'<a rel="prev" href="\?([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "before=" in back and "page=2" in back
    assert gallery_page(client, f"{path}?{back}")[0] == second
    assert len(set(first + second + third)) == 3 * PER_PAGE


def test_a_plain_page_number_still_works_and_one_past_the_end_shows_the_last(
    client, admin_user, environments
):
    production = environments["production"]
    make_assets(production, 12)
    client.force_login(admin_user)
    newest = expected(production, "newest")
    assert gallery_page(client, "/environments/production/?page=2")[0] == newest[5:10]
    assert gallery_page(client, "/environments/production/?page=99")[0] == newest[10:]
    assert gallery_page(client, "/environments/production/?page=x")[0] == newest[:5]
    page = client.get("/environments/production/?page=2").content.decode()
    assert "Page 2 of 3" in page


@pytest.mark.parametrize("cursor", ["not-a-cursor", "WyJ4Il0", "WyJub3QgYSB0aW1lIiwgMV0"])
def test_a_damaged_next_link_gets_a_clear_refusal(client, admin_user, environments, cursor):
    make_assets(environments["production"], 3)
    client.force_login(admin_user)
    page = client.get(f"/environments/production/?page=2&after={cursor}")
    assert page.status_code == 400
    assert "This page link is not valid" in page.content.decode()
    answer = client.get(
        f"/environments/production/assets.json?after={cursor}", HTTP_ACCEPT="application/json"
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad_page"


def test_the_sort_select_is_labelled_and_keeps_the_choice(client, admin_user, environments):
    make_assets(environments["production"], 2)
    client.force_login(admin_user)
    page = client.get("/environments/production/?sort=oldest").content.decode()
    assert re.search(r"<label>Sort <select name=\"sort\">", page)
    assert '<option value="oldest" selected>Oldest first</option>' in page


def follow_rows(client, url, row_attribute):
    """Every row's id on every page reached by following rel="next" from `url`."""
    seen = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        seen += [int(i) for i in re.findall(rf'<tr {row_attribute}="(\d+)"', html)]
        link = re.search(r'<a rel="next" href="([^"]+)"', html)
        url = link.group(1).replace("&amp;", "&") if link else None
        if url:
            assert "after=" in url  # the next page starts after the last row shown, not at an offset
            url = urlsplit(response.request["PATH_INFO"]).path + url if url.startswith("?") else url
    return seen


@pytest.mark.parametrize("view", ["audit", "review"])
def test_the_audit_trail_and_the_review_queue_follow_cursors_through_every_row(
    client, admin_user, environments, monkeypatch, view
):
    from images_app.models import AuditEvent
    from images_app.views import audit, review

    monkeypatch.setattr(audit, "PAGE_SIZE", 4)
    monkeypatch.setattr(review, "PAGE_SIZE", 4)
    staging = environments["staging"]
    assets = make_assets(staging, 11)
    Asset.objects.filter(pk__in=[a.pk for a in assets]).update(status=Status.AWAITING_REVIEW)
    StatusCount.objects.rebuild()
    for asset in assets:
        AuditEvent.record(None, asset=asset, to_status=Status.AWAITING_REVIEW, note="arrived")
    client.force_login(admin_user)

    if view == "audit":
        seen = follow_rows(client, "/audit/", "data-event")
        assert seen == list(AuditEvent.objects.order_by("-created_at", "-id").values_list("pk", flat=True))
    else:
        seen = follow_rows(client, f"/review/?environment={staging.slug}", "data-asset-id")
        assert seen == [a.pk for a in sorted(assets, key=lambda a: (a.created_at, a.pk))]


def test_bounded_counts_are_one_query_and_each_stops_at_the_bound(environments, django_assert_num_queries):
    production = environments["production"]
    make_assets(production, 9)  # live, queued and failed in turn: three of each
    assets = Asset.objects.for_environment(production)

    with django_assert_num_queries(1):
        counts = bounded_counts(
            [
                assets.filter(status=Status.LIVE),
                assets.filter(status=Status.REJECTED),
                assets.filter(environment__in=[]),  # a filter nothing matches
                assets,
            ],
            bound=3,
        )

    assert counts == [3, 0, 0, 3]
    assert [str(count) for count in counts] == ["3", "0", "0", "more than 3"]
    assert isinstance(counts[3], MoreThan) and not isinstance(counts[0], MoreThan)
