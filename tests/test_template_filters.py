"""How pages show sizes, times, people and statuses: the same way on every page."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template
from django.template.defaultfilters import date
from django.utils import timezone

from images_app.templatetags.portal_display import file_size, person, status_label, version, when


@pytest.mark.parametrize(
    "size, shown",
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (999, "999 bytes"),
        (1000, "1 KB"),
        (1536, "1.5 KB"),
        (640_000, "640 KB"),
        (999_499, "999 KB"),
        (999_500, "1 MB"),
        (1_900_000, "1.9 MB"),
        (1_949_999, "1.9 MB"),
        (2_000_000, "2 MB"),
        (12_345_678, "12.3 MB"),
        ("2000000", "2 MB"),
        (None, ""),
        ("many", ""),
    ],
)
def test_sizes_read_in_the_decimal_units_of_pingones_limit(size, shown):
    assert file_size(size) == shown


def test_a_person_is_named_as_the_audit_trail_names_them():
    assert person(User(username="sub-1", email="dana@example.com")) == "dana@example.com"
    assert person(User(username="sub-2", email="")) == "sub-2"
    assert person(None) == "—"


def test_statuses_read_as_labels_not_slugs():
    assert status_label("awaiting_review") == "Awaiting review"
    assert status_label("live") == "Live"
    assert status_label("something-else") == "something-else"


def test_a_moment_is_shown_to_the_second_with_its_zone(settings):
    settings.TIME_ZONE = "UTC"
    moment = datetime(2020, 2, 27, 19, 49, 36, 457000, tzinfo=UTC)

    html = when(moment)

    assert html == (
        '<time datetime="2020-02-27T19:49:36.457000+00:00" title="2020-02-27T19:49:36.457+00:00">'
        "2020-02-27 19:49:36 UTC</time>"
    )
    assert when(None) == "—"


def test_a_moment_follows_the_portals_time_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    html = when(datetime(2026, 7, 1, 12, 0, 0, tzinfo=UTC))
    assert ">2026-07-01 14:00:00 CEST</time>" in html


def test_the_badge_is_one_tag_with_its_colour_class_and_label():
    html = Template("{% load portal_display %}{% status_badge status %}").render(
        Context({"status": "failed"})
    )
    assert html == '<span class="badge status-failed" data-field="status">Failed</span>'


def test_a_badge_escapes_what_it_is_given():
    html = Template("{% load portal_display %}{% status_badge status %}").render(Context({"status": '<b>"'}))
    assert html == ('<span class="badge status-&lt;b&gt;&quot;" data-field="status">&lt;b&gt;&quot;</span>')


# Around clock changes (Paris: 2026-03-29 02:00 skipped, 2026-10-25 02:00-03:00 repeated), in a
# zone with a half-hour change (Lord Howe), and moments without a zone.
ZONED_MOMENTS = [
    datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 30, 0, 5, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 30, 0, tzinfo=UTC),
    datetime(2026, 4, 4, 15, 15, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 2, 30),  # skipped in Paris
    datetime(2026, 10, 25, 2, 30),  # repeated in Paris
    datetime(2026, 10, 25, 2, 30, fold=1),
    datetime(2026, 7, 1, 12, 0, 0, 123456),
    datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "Australia/Lord_Howe", "Asia/Kolkata"])
@pytest.mark.parametrize("moment", ZONED_MOMENTS, ids=str)
def test_a_moment_reads_as_the_date_filter_writes_it(settings, zone, moment):
    settings.TIME_ZONE = zone
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment

    shown = re.search(r">([^<]*)</time>", when(moment)).group(1)

    assert shown == date(local, "Y-m-d H:i:s T")


def test_a_fragments_version_changes_with_its_status_even_at_the_same_moment():
    from images_app.models import Asset

    moment = datetime(2026, 11, 29, 14, 3, 7, 250000, tzinfo=UTC)
    queued = Asset(status="queued", attempts=0, updated_at=moment)
    pushing = Asset(status="pushing", attempts=1, updated_at=moment)

    assert version(queued) == f"{moment.timestamp():.6f}-queued-0"
    assert version(pushing) != version(queued)
