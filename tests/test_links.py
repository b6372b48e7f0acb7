"""Links to assets and environments read exactly as reverse() writes them, under any script prefix."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from images_app.links import id_url, slug_url
from images_app.models import Asset, Environment


@pytest.fixture
def script_prefix():
    yield set_script_prefix
    set_script_prefix("/")


@pytest.mark.parametrize("prefix", ["/", "/portal/", "/a b/"])
def test_links_are_what_reverse_writes(script_prefix, prefix):
    script_prefix(prefix)

    for pk in (0, 7, 9876543210123, 10**30):
        assert id_url("images:asset_detail", pk) == reverse("images:asset_detail", args=[pk])
        assert id_url("images:asset_file", pk) == reverse("images:asset_file", args=[pk])
    for slug in ("production", "eu-west_2", "9876543210123"):
        assert slug_url("images:gallery", slug) == reverse("images:gallery", args=[slug])


def test_the_models_link_through_them(script_prefix):
    script_prefix("/portal/")
    asset = Asset(pk=12, file="staging/x.png", status="queued")

    assert asset.get_absolute_url() == "/portal/assets/12/"
    assert asset.thumbnail_url == "/portal/assets/12/file/"
    assert Environment(slug="staging").get_absolute_url() == "/portal/environments/staging/"


def outcome(make):
    try:
        return make()
    except NoReverseMatch:
        return NoReverseMatch


@pytest.mark.parametrize("pk", [None, -1, "12", "x", True, 1.5])
def test_anything_else_for_an_id_goes_as_reverse_takes_it(pk):
    assert outcome(lambda: id_url("images:asset_detail", pk)) == outcome(
        lambda: reverse("images:asset_detail", args=[pk])
    )


@pytest.mark.parametrize("slug", ["", "two words", "é", "a/b", None, 12])
def test_anything_else_for_a_slug_goes_as_reverse_takes_it(slug):
    assert outcome(lambda: slug_url("images:gallery", slug)) == outcome(
        lambda: reverse("images:gallery", args=[slug])
    )
