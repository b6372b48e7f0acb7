"""An environment's settings page: admins turn review on or off there, and each change is audited."""

from django.test import Client

from images_app.models import AuditEvent, Status
from tests import images

JSON = {"HTTP_ACCEPT": "application/json"}
URL = "/environments/{}/settings/"


def settings_events(environment):
    return AuditEvent.objects.filter(environment=environment, to_status="settings")


def test_the_page_shows_the_environment_and_its_current_review_setting(client, admin_user, environments):
    client.force_login(admin_user)

    production = client.get(URL.format("production"))
    staging = client.get(URL.format("staging"))

    assert production.status_code == staging.status_code == 200
    assert "Production" in production.content.decode()
    assert production.context["form"]["review_required"].value() is False
    assert "checked" not in production.content.decode()
    assert staging.context["form"]["review_required"].value() is True
    assert 'name="review_required" id="id_review_required" checked' in staging.content.decode()


def test_an_admin_turns_review_on_and_exactly_one_settings_event_is_recorded(
    client, admin_user, environments
):
    production = environments["production"]
    client.force_login(admin_user)

    response = client.post(URL.format("production"), {"review_required": "on"}, follow=True)

    assert response.redirect_chain == [("/environments/production/", 302)]
    assert "Review turned on." in response.content.decode()
    production.refresh_from_db()
    assert production.review_required
    event = settings_events(production).get()
    assert (event.asset, event.environment, event.actor) == (None, production, admin_user)
    assert AuditEvent.objects.count() == 1


def test_an_admin_turns_review_off_by_leaving_the_box_unticked(client, admin_user, environments):
    staging = environments["staging"]
    client.force_login(admin_user)

    response = client.post(URL.format("staging"), {}, follow=True)

    assert "Review turned off." in response.content.decode()
    staging.refresh_from_db()
    assert not staging.review_required
    assert settings_events(staging).get().note == "review turned off"


def test_posting_the_current_value_again_records_nothing_and_says_so(client, admin_user, environments):
    client.force_login(admin_user)
    client.post(URL.format("production"), {"review_required": "on"})

    again = client.post(URL.format("production"), {"review_required": "on"}, follow=True)

    assert "Nothing changed." in again.content.decode()
    assert settings_events(environments["production"]).count() == 1


def test_json_clients_get_the_environment_setting(client, admin_user, environments):
    client.force_login(admin_user)

    posted = client.post(URL.format("production"), {"review_required": "on"}, **JSON)
    read = client.get(URL.format("staging"), **JSON)

    assert posted.status_code == 200
    assert posted.json() == {"environment": {"slug": "production", "review_required": True}}
    assert read.json() == {"environment": {"slug": "staging", "review_required": True}}


def test_a_designer_is_refused_and_changes_nothing(client, designer, environments):
    client.force_login(designer)

    assert client.get(URL.format("production")).status_code == 403
    assert client.post(URL.format("production"), {"review_required": "on"}).status_code == 403
    environments["production"].refresh_from_db()
    assert not environments["production"].review_required
    assert not AuditEvent.objects.exists()


def test_an_unknown_environment_is_404_and_anonymous_visitors_are_sent_to_sign_in(
    client, admin_user, environments
):
    anonymous = client.get(URL.format("production"))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    client.force_login(admin_user)
    assert client.get(URL.format("nowhere")).status_code == 404


def test_a_post_without_a_csrf_token_is_refused(admin_user, environments):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)

    refused = browser.post(URL.format("production"), {"review_required": "on"})

    assert refused.status_code == 403
    environments["production"].refresh_from_db()
    assert not environments["production"].review_required
    assert not AuditEvent.objects.exists()


def test_after_review_is_turned_on_a_new_upload_waits_for_review(client, admin_user, environments, stage):
    assert stage("production", data=images.png(colour=(1, 2, 3))).status == Status.QUEUED
    client.force_login(admin_user)

    client.post(URL.format("production"), {"review_required": "on"})
    # An upload request reads the environment afresh; `stage` uses this fixture's object.
    environments["production"].refresh_from_db()

    assert stage("production", data=images.png(colour=(4, 5, 6))).status == Status.AWAITING_REVIEW


def test_the_gallery_links_admins_to_the_settings_page_and_designers_not(
    client, admin_user, designer, environments
):
    link = 'href="/environments/production/settings/"'
    client.force_login(admin_user)
    assert link in client.get("/environments/production/").content.decode()
    client.force_login(designer)
    assert link not in client.get("/environments/production/").content.decode()
