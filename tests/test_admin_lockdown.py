"""The Django admin cannot bypass the portal: assets and audit events are read-only there,
environments stay editable, and a review toggle made there is audited like any other."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from images_app import services
from images_app.models import Asset, AuditEvent, Environment, Status

MODELS = {"asset": Asset, "auditevent": AuditEvent}


@pytest.fixture
def site_admin(admin_user):
    """A portal admin as signing in through PingOne leaves them: a Django superuser."""
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    return admin_user


@pytest.fixture
def admin_site_client(client, site_admin):
    client.force_login(site_admin)
    return client


def admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def record_of(name, asset):
    """The asset itself, or its first audit event."""
    return asset if name == "asset" else asset.events.get()


@pytest.mark.parametrize("name", MODELS)
def test_the_changelist_offers_no_bulk_delete_and_a_forced_one_deletes_nothing(
    admin_site_client, stage, name
):
    record = record_of(name, stage())
    url = f"/admin/images_app/{name}/"

    page = admin_site_client.get(url)

    assert page.status_code == 200
    assert page.context["action_form"] is None
    assert "delete_selected" not in page.content.decode()
    admin_site_client.post(url, {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"})
    assert MODELS[name].objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("name", MODELS)
def test_the_delete_page_is_refused_and_deletes_nothing(admin_site_client, stage, name):
    record = record_of(name, stage())
    url = f"/admin/images_app/{name}/{record.pk}/delete/"

    assert admin_site_client.get(url).status_code == 403
    assert admin_site_client.post(url, {"post": "yes"}).status_code == 403
    assert MODELS[name].objects.filter(pk=record.pk).exists()


def test_an_asset_page_shows_status_and_pingone_fields_read_only_and_a_post_changes_nothing(
    admin_site_client, stage
):
    asset = stage()
    url = f"/admin/images_app/asset/{asset.pk}/change/"

    page = admin_site_client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert asset.filename in html
    for field in ["status", "pingone_image_id", "targets", "error_code", "error_message"]:
        assert f'name="{field}"' not in html, field
    posted = admin_site_client.post(
        url, {"status": Status.LIVE, "pingone_image_id": "forged", "error_code": "", "_save": "Save"}
    )
    assert posted.status_code == 403
    asset.refresh_from_db()
    assert (asset.status, asset.pingone_image_id) == (Status.QUEUED, "")


def test_an_audit_event_cannot_be_edited(admin_site_client, stage):
    event = stage().events.get()
    before = (event.note, event.to_status)
    url = f"/admin/images_app/auditevent/{event.pk}/change/"

    page = admin_site_client.get(url)

    assert page.status_code == 200 and 'name="note"' not in page.content.decode()
    assert admin_site_client.post(url, {"note": "forged", "to_status": "live"}).status_code == 403
    event.refresh_from_db()
    assert (event.note, event.to_status) == before


@pytest.mark.parametrize("model", [Asset, AuditEvent])
def test_no_one_may_add_change_or_delete_assets_or_events_in_the_admin_but_admins_may_look(
    site_admin, stage, model
):
    request = admin_request(site_admin)
    model_admin = admin.site._registry[model]
    stage()
    record = model.objects.get()

    assert model_admin.has_view_permission(request, record)
    assert not model_admin.has_add_permission(request)
    for obj in (None, record):
        assert not model_admin.has_change_permission(request, obj)
        assert not model_admin.has_delete_permission(request, obj)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_an_environment_with_assets_cannot_be_deleted_and_an_unused_one_can(
    admin_site_client, site_admin, environments, stage
):
    stage("production")
    production, secret = environments["production"], environments["secret"]
    request = admin_request(site_admin)
    environment_admin = admin.site._registry[Environment]

    refused = admin_site_client.post(
        f"/admin/images_app/environment/{production.pk}/delete/", {"post": "yes"}
    )

    assert environment_admin.has_change_permission(request, production)
    assert not environment_admin.has_delete_permission(request, production)
    assert refused.status_code == 403
    assert Environment.objects.filter(pk=production.pk).exists()

    deleted = admin_site_client.post(f"/admin/images_app/environment/{secret.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not Environment.objects.filter(pk=secret.pk).exists()


def test_an_environment_whose_settings_were_changed_keeps_its_history(
    admin_site_client, site_admin, environments
):
    secret = environments["secret"]
    services.set_review_required(secret, site_admin, True)
    request = admin_request(site_admin)

    refused = admin_site_client.post(f"/admin/images_app/environment/{secret.pk}/delete/", {"post": "yes"})

    assert refused.status_code == 403
    assert not admin.site._registry[Environment].has_delete_permission(request, secret)
    assert AuditEvent.objects.filter(environment=secret).count() == 1


def environment_form(environment, *, review_required, **changes):
    """The admin's change form of `environment` as a browser posts it, with `changes`."""
    data = {
        "name": environment.name,
        "slug": environment.slug,
        "pingone_environment_id": environment.pingone_environment_id,
        "access_groups": [g.pk for g in environment.access_groups.all()],
        "_save": "Save",
        **changes,
    }
    if review_required:
        data["review_required"] = "on"
    return data


def test_turning_review_on_in_the_django_admin_writes_one_audit_event(
    admin_site_client, site_admin, environments
):
    production = environments["production"]
    url = f"/admin/images_app/environment/{production.pk}/change/"

    saved = admin_site_client.post(url, environment_form(production, review_required=True, name="Prod"))

    assert saved.status_code == 302
    production.refresh_from_db()
    assert (production.review_required, production.name) == (True, "Prod")
    event = AuditEvent.objects.get(environment=production)
    assert (event.asset, event.to_status, event.actor) == (None, "settings", site_admin)
    assert event.note == "review turned on"


def test_editing_other_fields_in_the_django_admin_leaves_review_alone_and_writes_no_event(
    admin_site_client, environments
):
    staging = environments["staging"]
    url = f"/admin/images_app/environment/{staging.pk}/change/"

    saved = admin_site_client.post(
        url, environment_form(staging, review_required=True, name="Stage", access_groups=[])
    )

    assert saved.status_code == 302
    staging.refresh_from_db()
    assert (staging.name, staging.review_required, staging.access_groups.count()) == ("Stage", True, 0)
    assert not AuditEvent.objects.filter(environment=staging).exists()


def test_turning_review_off_in_the_django_admin_is_audited(admin_site_client, site_admin, environments):
    staging = environments["staging"]
    url = f"/admin/images_app/environment/{staging.pk}/change/"

    admin_site_client.post(url, environment_form(staging, review_required=False))

    staging.refresh_from_db()
    assert not staging.review_required
    event = AuditEvent.objects.get(environment=staging)
    assert (event.actor, event.note) == (site_admin, "review turned off")
