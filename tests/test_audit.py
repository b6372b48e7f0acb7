"""The audit trail at /audit/: admins only, newest first, filters, pages and the CSV export."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from images_app import services
from images_app.models import SETTINGS_CHANGED, Asset, AuditEvent, Status
from tests import images

JSON = {"HTTP_ACCEPT": "application/json"}


def listed(response):
    """The ids of the events a page lists, top to bottom."""
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'<tr data-event="(\d+)">', response.content.decode())]


def csv_rows(response):
    """The CSV download as rows, header first."""
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def event(asset, to_status):
    return AuditEvent.objects.get(asset=asset, to_status=to_status)


def at(event, when):
    AuditEvent.objects.filter(pk=event.pk).update(created_at=when)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def trail(stage, designer, admin_user, make_user, environments):
    """Events in three environments by three people, of every kind the filters tell apart."""
    colleague = make_user("Colleague@Example.com", ["Branding"])
    logo = stage("production", data=images.png(colour=(1, 2, 3)), name="logo.png")
    background = stage("staging", data=images.png(colour=(4, 5, 6)), name="background.png")
    services.approve(background, admin_user)
    icon = stage("staging", data=images.png(colour=(7, 8, 9)), name="icon.png", user=colleague)
    services.reject(icon, admin_user, "Wrong colours")
    secret = stage("secret", data=images.png(colour=(10, 11, 12)), name="secret.png", user=admin_user)
    Asset.objects.filter(pk=secret.pk).update(status=Status.FAILED)
    secret.refresh_from_db()
    services.retry(secret, admin_user)
    services.set_review_required(environments["production"], admin_user, True)
    return {
        "logo uploaded": event(logo, Status.QUEUED),
        "background uploaded": event(background, Status.AWAITING_REVIEW),
        "background approved": event(background, Status.QUEUED),
        "icon uploaded": event(icon, Status.AWAITING_REVIEW),
        "icon rejected": event(icon, Status.REJECTED),
        "secret uploaded": AuditEvent.objects.get(asset=secret, from_status=""),
        "secret retried": AuditEvent.objects.get(asset=secret, from_status=Status.FAILED),
        "review turned on": AuditEvent.objects.get(to_status=SETTINGS_CHANGED),
    }


def ids(trail, *names):
    return sorted(trail[name].pk for name in names)


def test_a_designer_is_refused_and_an_anonymous_visitor_is_sent_to_sign_in(client, designer):
    anonymous = client.get("/audit/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/")
    client.force_login(designer)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/?format=csv").status_code == 403


def test_an_admin_sees_every_event_newest_first_with_labels_and_readable_times(admin_client, trail):
    approved, uploaded = trail["background approved"], trail["background uploaded"]
    at(uploaded, datetime(2021, 11, 29, 14, 3, 7, 250000, tzinfo=UTC))
    at(approved, datetime(2021, 11, 29, 14, 3, 7, 250000, tzinfo=UTC))  # the same instant: the id decides
    at(trail["review turned on"], datetime(2021, 11, 28, 9, 0, 0, tzinfo=UTC))
    AuditEvent.objects.filter(pk=approved.pk).update(correlation_id="corr-1234")

    response = admin_client.get("/audit/")

    order = listed(response)
    assert sorted(order) == sorted(e.pk for e in trail.values()), "every environment's, the secret one too"
    assert order[-3:] == [approved.pk, uploaded.pk, trail["review turned on"].pk]
    page = response.content.decode()
    row = page[page.index(f'<tr data-event="{approved.pk}">') :].split("</tr>")[0]
    assert "2021-11-29 14:03:07 UTC" in row
    assert "Staging" in row
    assert f'<a href="/assets/{approved.asset_id}/">background.png</a>' in row
    assert "admin@example.com" in row
    assert "Awaiting review → Queued" in row
    assert "approved" in row and "corr-1234" in row
    settings_row = page[page.index(f'<tr data-event="{trail["review turned on"].pk}">') :].split("</tr>")[0]
    assert "— → Settings changed" in settings_row and "review turned on" in settings_row
    assert "<a " not in settings_row


def test_the_environment_filter_keeps_only_that_environments_events(admin_client, trail):
    listed_ids = listed(admin_client.get("/audit/?environment=staging"))
    assert sorted(listed_ids) == ids(
        trail, "background uploaded", "background approved", "icon uploaded", "icon rejected"
    )


def test_the_user_filter_matches_part_of_an_email_or_username_in_any_case(admin_client, trail):
    by_email = listed(admin_client.get("/audit/?user=COLLEAGUE@example"))
    assert sorted(by_email) == ids(trail, "icon uploaded")
    by_username = listed(admin_client.get("/audit/?user=sub-designer"))
    assert sorted(by_username) == ids(trail, "logo uploaded", "background uploaded")


def test_the_user_filter_finds_someone_by_their_current_email(admin_client, trail):
    colleague = trail["icon uploaded"].actor
    colleague.email = "renamed@example.com"
    colleague.save()
    assert sorted(listed(admin_client.get("/audit/?user=Renamed"))) == ids(trail, "icon uploaded")


def test_the_user_filter_still_finds_someone_whose_account_is_gone(admin_client, trail):
    trail["icon uploaded"].actor.delete()
    assert sorted(listed(admin_client.get("/audit/?user=colleague"))) == ids(trail, "icon uploaded")


def test_the_action_filter_keeps_the_events_that_moved_to_that_status(admin_client, trail):
    queued = listed(admin_client.get("/audit/?action=queued"))
    assert sorted(queued) == ids(
        trail, "logo uploaded", "background approved", "secret uploaded", "secret retried"
    )
    assert sorted(listed(admin_client.get("/audit/?action=rejected"))) == ids(trail, "icon rejected")
    assert sorted(listed(admin_client.get("/audit/?action=settings"))) == ids(trail, "review turned on")


def test_the_date_range_takes_both_days_whole(admin_client, trail):
    day = datetime(2026, 3, 10, tzinfo=UTC)
    at(trail["logo uploaded"], day - timedelta(microseconds=1))  # the evening before
    at(trail["background uploaded"], day)  # the first instant of the first day
    at(
        trail["background approved"], day + timedelta(days=2) - timedelta(microseconds=1)
    )  # the last day's end
    at(trail["icon uploaded"], day + timedelta(days=2))  # the morning after
    for name in ("icon rejected", "secret uploaded", "secret retried", "review turned on"):
        at(trail[name], day + timedelta(days=30))

    between = listed(admin_client.get("/audit/?since=2026-03-10&until=2026-03-11"))
    assert sorted(between) == ids(trail, "background uploaded", "background approved")
    one_day = listed(admin_client.get("/audit/?since=2026-03-11&until=2026-03-11"))
    assert one_day == [trail["background approved"].pk]
    since_only = listed(admin_client.get("/audit/?since=2026-03-12"))
    assert sorted(since_only) == ids(
        trail, "icon uploaded", "icon rejected", "secret uploaded", "secret retried", "review turned on"
    )
    until_only = listed(admin_client.get("/audit/?until=2026-03-09"))
    assert until_only == [trail["logo uploaded"].pk]


def test_filters_combine(admin_client, trail):
    both = listed(admin_client.get("/audit/?environment=staging&user=admin&action=queued"))
    assert both == [trail["background approved"].pk]


def test_pagination_reaches_a_second_page_that_keeps_the_filters(
    admin_client, stage, admin_user, environments
):
    stage("staging")  # an upload: not a settings event, so the filter must hold on page 2 too
    for i in range(53):
        assert services.set_review_required(environments["production"], admin_user, i % 2 == 0)
    settings_events = list(
        AuditEvent.objects.filter(to_status=SETTINGS_CHANGED)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )

    first = admin_client.get("/audit/?action=settings")
    assert listed(first) == settings_events[:50]
    older = re.search(r'<a rel="next" href="\?([^"]+)">Older</a>', first.content.decode())
    older = dict(parse_qsl(older.group(1).replace("&amp;", "&")))
    assert older.keys() == {"action", "page", "after"} and older["action"] == "settings"

    second = admin_client.get("/audit/", older)
    assert listed(second) == settings_events[50:]
    newer = re.search(r'<a rel="prev" href="\?([^"]+)">Newer</a>', second.content.decode())
    newer = dict(parse_qsl(newer.group(1).replace("&amp;", "&")))
    assert newer["action"] == "settings" and newer["page"] == "1"
    assert listed(admin_client.get("/audit/", newer)) == settings_events[:50]
    assert "Older</a>" not in second.content.decode()


def test_a_page_costs_the_same_number_of_queries_however_many_events_it_shows(admin_client, stage):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get("/audit/").status_code == 200
        return len(captured)

    stage(data=images.png(colour=(0, 0, 1)))
    few = queries()
    for i in range(2, 12):
        stage(data=images.png(colour=(0, 0, i)))
    assert queries() == few


def test_the_csv_of_a_filtered_selection_has_exactly_those_events(admin_client, trail):
    AuditEvent.objects.filter(pk=trail["background approved"].pk).update(correlation_id="corr-1234")
    at(trail["background approved"], datetime(2026, 11, 29, 14, 3, 7, 900000, tzinfo=UTC))

    response = admin_client.get("/audit/?environment=staging&format=csv")

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="audit-\d{8}-\d{6}\.csv"', response["Content-Disposition"])
    header, *rows = csv_rows(response)
    assert header == [
        "Time (UTC)",
        "Environment",
        "Asset id",
        "File name",
        "Who",
        "From",
        "To",
        "Note",
        "PingOne Correlation-Id",
    ]
    expected = ("background uploaded", "background approved", "icon uploaded", "icon rejected")
    assert sorted((row[2], row[7], row[6]) for row in rows) == sorted(
        (str(trail[name].asset_id), trail[name].note, Status(trail[name].to_status).label)
        for name in expected
    )
    approved = next(row for row in rows if row[6] == "Queued")
    assert approved == [
        "2026-11-29 14:03:07",
        "Staging",
        str(trail["background approved"].asset_id),
        "background.png",
        "admin@example.com",
        "Awaiting review",
        "Queued",
        "approved",
        "corr-1234",
    ]
    uploaded = next(row for row in rows if row[7] == "uploaded" and row[3] == "background.png")
    assert uploaded[5] == "", "an arrival comes from nowhere: an empty cell"


def test_the_download_link_exports_what_the_page_lists(admin_client, trail):
    page = admin_client.get("/audit/?action=queued&user=admin")
    href = re.search(r'<a class="button" href="([^"]+)"[^>]*>Download CSV</a>', page.content.decode()).group(
        1
    )
    header, *rows = csv_rows(admin_client.get("/audit/" + href.replace("&amp;", "&")))
    events = AuditEvent.objects.in_bulk(listed(page))
    assert sorted((row[2], row[7]) for row in rows) == sorted(
        (str(e.asset_id), e.note) for e in events.values()
    )
    assert len(rows) == 3


def test_the_csv_has_every_page_of_the_selection_not_just_one(admin_client, admin_user, environments):
    for i in range(60):
        services.set_review_required(environments["production"], admin_user, i % 2 == 0)
    header, *rows = csv_rows(admin_client.get("/audit/?format=csv&page=2"))
    assert len(rows) == 60
    assert {(row[3], row[6]) for row in rows} == {("", "Settings changed")}


def test_a_note_that_a_spreadsheet_would_run_as_a_formula_is_neutralised_in_the_csv(
    admin_client, stage, admin_user
):
    icon = stage("staging", name="@icon.png")
    services.reject(icon, admin_user, '=HYPERLINK("http://evil.example/","click")')
    header, *rows = csv_rows(admin_client.get("/audit/?format=csv&action=rejected"))
    (row,) = rows
    assert row[7] == '\'=HYPERLINK("http://evil.example/","click")'
    assert row[3] == "'@icon.png"
    page = admin_client.get("/audit/?action=rejected").content.decode()
    assert "=HYPERLINK(&quot;http://evil.example/&quot;,&quot;click&quot;)" in page


@pytest.mark.parametrize(
    "query, reason",
    [
        ("since=2026-02-30", "Give the first day as YYYY-MM-DD."),
        ("until=yesterday", "Give the last day as YYYY-MM-DD."),
        ("since=2026-03-02&until=2026-03-01", "The last day is before the first day."),
        ("action=exploded", "There is no such action."),
        ("environment=nowhere", "There is no such environment."),
        ("user=" + "x" * 201, "Search for someone with at most 200 characters."),
    ],
)
def test_invalid_filters_are_refused_with_the_reason(admin_client, environments, query, reason):
    page = admin_client.get(f"/audit/?{query}")
    assert page.status_code == 400
    assert reason in page.content.decode()
    assert admin_client.get(f"/audit/?{query}&format=csv").status_code == 400
    answer = admin_client.get(f"/audit/?{query}", **JSON)
    assert answer.status_code == 400
    assert answer.json() == {"error": {"code": "bad_filter", "message": reason}}


def test_the_widest_dates_a_form_accepts_are_answered_not_crashed(admin_client, trail):
    assert len(listed(admin_client.get("/audit/?since=0001-01-01&until=9999-12-31"))) == len(trail)
