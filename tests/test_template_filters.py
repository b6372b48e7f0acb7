"""How pages show sizes, times, people and statuses: the same way on every page."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template

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


def test_the_badge_is_one_include_with_its_colour_class_and_label():
    html = Template("{% load portal_display %}{% status_badge status %}").render(
        Context({"status": "failed"})
    )
    assert html.strip() == '<span class="badge status-failed" data-field="status">Failed</span>'


def test_a_fragments_version_changes_with_its_status_even_at_the_same_moment():
    from images_app.models import Asset

    moment = datetime(2026, 11, 29, 14, 3, 7, 250000, tzinfo=UTC)
    queued = Asset(status="queued", attempts=0, updated_at=moment)
    pushing = Asset(status="pushing", attempts=1, updated_at=moment)

    assert version(queued) == f"{moment.timestamp():.6f}-queued-0"
    assert version(pushing) != version(queued)
