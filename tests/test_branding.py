"""Putting live assets on sign-on screens through the emulator's branding APIs, over HTTP."""

import pytest
import requests

from images_app import services
from images_app.models import APPLIED, Asset, AuditEvent, Status
from tests import images
from tests.ids import PRODUCTION, STAGING

JSON = {"HTTP_ACCEPT": "application/json"}
UNKNOWN_KEY = {"schemaVersion": 2, "someFutureKey": {"nested": [1, 2]}}


class Branding:
    """The emulator's branding API, called with a worker token as PingOne would be."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.headers = {"Authorization": f"Bearer {emulator.worker_token()}"}

    def call(self, method, env_id, path, body=None):
        response = requests.request(
            method,
            f"{self.emulator.api_url}/environments/{env_id}/{path}",
            json=body,
            headers=self.headers,
            timeout=10,
        )
        assert response.ok, response.text
        return response.json() if response.content else None

    def themes(self, env_id):
        return self.call("GET", env_id, "themes")["_embedded"]["themes"]

    def active(self, env_id):
        return next(t for t in self.themes(env_id) if t["default"])

    def theme(self, env_id, theme_id):
        return self.call("GET", env_id, f"themes/{theme_id}")

    def copy_of(self, theme, name):
        """A new, inactive theme of Production with the given theme's configuration."""
        return self.call(
            "POST",
            PRODUCTION,
            "themes",
            {"template": "split", "configuration": {**theme["configuration"], "name": name}},
        )

    def application(self, env_id, name):
        apps = self.call("GET", env_id, "applications")["_embedded"]["applications"]
        return next(a for a in apps if a["name"] == name)


@pytest.fixture
def api(pingone):
    return Branding(pingone)


def live(asset):
    assert services.push_asset(asset.pk).status == Status.LIVE
    asset.refresh_from_db()
    return asset


@pytest.fixture
def logo(stage, pingone, admin_user):
    return live(stage("production", images.png(colour=(10, 20, 30)), "logo.png", user=admin_user))


def apply(client, asset, **fields):
    return client.post(f"/assets/{asset.pk}/apply/", fields, **JSON)


def without(config, *keys):
    return {k: v for k, v in config.items() if k not in keys}


def test_a_logo_goes_on_the_active_theme_and_nothing_else_of_the_theme_changes(client, admin_user, logo, api):
    active = api.active(PRODUCTION)
    # A newer theme carries keys this portal does not know: they must survive.
    api.call(
        "PUT",
        PRODUCTION,
        f"themes/{active['id']}",
        {"template": active["template"], "configuration": {**active["configuration"], **UNKNOWN_KEY}},
    )
    before = api.theme(PRODUCTION, active["id"])["configuration"]
    client.force_login(admin_user)

    answer = apply(client, logo, target="theme_logo")

    assert answer.status_code == 200, answer.content
    after = api.theme(PRODUCTION, active["id"])["configuration"]
    assert after["logoType"] == "IMAGE"
    assert after["logo"] == {"id": logo.pingone_image_id, "href": logo.pingone_href}
    assert without(after, "logo", "logoType") == without(before, "logo", "logoType")
    assert after["footer"] and after["someFutureKey"] == {"nested": [1, 2]}
    assert answer.json()["asset"]["used_by"] == [
        {"kind": "theme", "id": active["id"], "name": before["name"], "slot": "logo"}
    ]


def test_a_background_the_settings_logo_and_an_application_icon(client, admin_user, logo, api):
    active = api.active(PRODUCTION)
    app_before = api.application(PRODUCTION, "Customer Portal")
    client.force_login(admin_user)

    assert apply(client, logo, target="theme_background").status_code == 200
    assert apply(client, logo, target="settings_logo").status_code == 200
    assert apply(client, logo, target="app_icon", application=app_before["id"]).status_code == 200

    image = {"id": logo.pingone_image_id, "href": logo.pingone_href}
    theme = api.theme(PRODUCTION, active["id"])["configuration"]
    assert (theme["backgroundType"], theme["backgroundImage"]) == ("IMAGE", image)
    assert api.call("GET", PRODUCTION, "brandingSettings")["logo"] == image
    app_after = api.application(PRODUCTION, "Customer Portal")
    assert app_after["icon"] == image
    assert without(app_after, "icon", "updatedAt", "_links") == without(
        app_before, "icon", "updatedAt", "_links"
    )
    listed = client.get("/environments/production/assets.json").json()["assets"][0]
    assert {(u["kind"], u["slot"]) for u in listed["used_by"]} == {
        ("theme", "background"),
        ("settings", "logo"),
        ("application", "icon"),
    }
    page = client.get(f"/assets/{logo.pk}/").content.decode()
    assert "Customer Portal" in page and "Branding settings" in page


def test_an_image_in_use_cannot_be_deleted_until_its_slot_holds_another(client, admin_user, logo, stage, api):
    client.force_login(admin_user)
    assert apply(client, logo, target="theme_logo").status_code == 200

    refused = client.post(f"/assets/{logo.pk}/delete/", **JSON)

    assert refused.status_code == 409 and refused.json()["error"]["code"] == "in_use"
    assert "theme" in refused.json()["error"]["message"]
    logo.refresh_from_db()
    assert logo.status == Status.LIVE and len(api.emulator.images(PRODUCTION)) == 1
    other = live(stage("production", images.png(colour=(90, 90, 90)), "other.png", user=admin_user))
    assert apply(client, other, target="theme_logo").status_code == 200
    assert client.post(f"/assets/{logo.pk}/delete/", **JSON).status_code == 200


def test_the_delete_check_asks_pingone_not_only_the_portals_record(client, admin_user, logo, api):
    active = api.active(PRODUCTION)
    config = {
        **active["configuration"],
        "logoType": "IMAGE",
        "logo": {"id": logo.pingone_image_id, "href": logo.pingone_href},
    }
    # Someone puts the logo on the theme in PingOne's console; the portal has not looked since.
    api.call(
        "PUT", PRODUCTION, f"themes/{active['id']}", {"template": active["template"], "configuration": config}
    )
    assert not logo.uses.exists()
    client.force_login(admin_user)
    assert client.post(f"/assets/{logo.pk}/delete/", **JSON).status_code == 409


def test_a_designer_in_a_review_required_environment_may_not_apply_and_an_outsider_sees_nothing(
    client, designer, outsider, stage, admin_user, pingone
):
    waiting = stage("staging", images.png(colour=(3, 3, 3)))
    assert services.approve(waiting, admin_user)
    staged = live(waiting)
    client.force_login(designer)
    assert apply(client, staged, target="theme_logo").status_code == 403
    client.force_login(outsider)
    assert apply(client, staged, target="theme_logo").status_code == 404
    assert not AuditEvent.objects.filter(to_status=APPLIED).exists()


def test_an_uploader_applies_where_no_review_is_required_and_it_is_audited_with_the_previous_value(
    client, designer, stage, api
):
    first = live(stage("production", images.png(colour=(1, 1, 1)), "first.png"))
    second = live(stage("production", images.png(colour=(2, 2, 2)), "second.png"))
    client.force_login(designer)

    assert apply(client, first, target="settings_logo").status_code == 200
    assert apply(client, second, target="settings_logo").status_code == 200

    (event,) = AuditEvent.objects.filter(asset=second, to_status=APPLIED)
    assert event.actor == designer and f"image {first.pingone_image_id}" in event.note
    assert AuditEvent.objects.filter(asset=first, to_status=APPLIED).count() == 1
    assert "before: no image" in AuditEvent.objects.get(asset=first, to_status=APPLIED).note


def test_pingone_down_during_an_apply_changes_nothing_and_it_can_be_tried_again(
    client, admin_user, logo, api
):
    active = api.active(PRODUCTION)
    before = api.theme(PRODUCTION, active["id"])
    api.emulator.add_fault(path="/themes/", method="PUT", status=503, count=1)
    client.force_login(admin_user)

    failed = apply(client, logo, target="theme_logo")

    assert failed.status_code == 502 and failed.json()["error"]["message"]
    assert api.theme(PRODUCTION, active["id"])["configuration"] == before["configuration"]
    assert not AuditEvent.objects.filter(to_status=APPLIED).exists()
    assert apply(client, logo, target="theme_logo").status_code == 200


def test_a_refused_activation_puts_the_chosen_themes_logo_back(client, admin_user, logo, api):
    active = api.active(PRODUCTION)
    created = api.copy_of(active, "Autumn")
    api.emulator.add_fault(path=r"/default$", method="PUT", status=503, count=1)
    client.force_login(admin_user)

    answer = apply(client, logo, target="theme_logo", theme=created["id"], activate="1")

    assert answer.status_code == 502
    autumn = api.theme(PRODUCTION, created["id"])
    assert autumn["configuration"]["logoType"] == active["configuration"]["logoType"]
    assert autumn["configuration"].get("logo") == active["configuration"].get("logo")
    assert autumn["default"] is False and api.active(PRODUCTION)["id"] == active["id"]


def test_a_chosen_theme_gets_the_logo_and_becomes_active(client, admin_user, logo, api):
    active = api.active(PRODUCTION)
    created = api.copy_of(active, "Winter")
    client.force_login(admin_user)

    assert apply(client, logo, target="theme_logo", theme=created["id"], activate="1").status_code == 200

    winter = api.theme(PRODUCTION, created["id"])
    assert winter["default"] is True and winter["configuration"]["logo"]["id"] == logo.pingone_image_id
    assert api.theme(PRODUCTION, active["id"])["default"] is False


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"target": "somewhere"}, 400, "invalid_choice"),
        ({"target": "app_icon"}, 400, "application_required"),
        ({"target": "theme_logo", "theme": "../applications"}, 400, "invalid"),
        ({"target": "theme_logo", "theme": "6f1c7e0e-0000-4000-8000-000000000000"}, 404, "not_found"),
    ],
)
def test_a_bad_apply_is_answered_with_the_reason(client, admin_user, logo, fields, status, code):
    client.force_login(admin_user)
    answer = apply(client, logo, **fields)
    assert answer.status_code == status and answer.json()["error"]["code"] == code


def test_only_a_live_image_can_be_applied(client, admin_user, stage, pingone):
    queued = stage("production")
    client.force_login(admin_user)
    assert apply(client, queued, target="theme_logo").status_code == 409


def test_the_branding_page_draws_each_theme_and_shows_what_fills_each_slot(client, admin_user, logo, api):
    client.force_login(admin_user)
    apply(client, logo, target="theme_logo")
    page = client.get("/environments/production/branding/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and "#2996cc" in html and logo.pingone_href in html
    assert f'href="/assets/{logo.pk}/"' in html and "Customer Portal" in html
    # The page's own picker puts another image there.
    assert (
        client.post(
            "/environments/production/branding/", {"asset": logo.pk, "target": "settings_logo"}
        ).status_code
        == 302
    )
    assert api.call("GET", PRODUCTION, "brandingSettings")["logo"]["id"] == logo.pingone_image_id


def test_an_image_the_portal_did_not_upload_is_shown_as_such(client, admin_user, api, environments):
    foreign = {"id": "0e6b1f4c-1111-4222-8333-444455556666", "href": "https://uploads.example/foreign.png"}
    api.call("PUT", STAGING, "brandingSettings", {"logo": foreign})
    client.force_login(admin_user)
    html = client.get("/environments/staging/branding/").content.decode()
    assert "did not upload" in html and foreign["id"] in html
    assert not Asset.objects.filter(pingone_image_id=foreign["id"]).exists()
