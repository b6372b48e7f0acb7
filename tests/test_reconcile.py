"""manage.py reconcile: live assets read back from PingOne (the emulator over HTTP), missing ones found."""

import io
import json
import os
import subprocess
import sys

import pytest
import redis
from django.core.cache import cache
from django.core.management import CommandError, call_command

from images_app import services, tasks
from images_app.models import MISSING_IN_PINGONE, Asset, AuditEvent, Status
from tests import images
from tests.emulator_support import REPO_ROOT
from tests.ids import STAGING


@pytest.fixture
def live(stage, pingone, admin_user):
    """Three live assets in Production and one in Staging, pushed to the emulator: {name: asset}."""
    assets = {}
    for n, (slug, name) in enumerate(
        [
            ("production", "logo.png"),
            ("production", "icon.png"),
            ("production", "banner.png"),
            ("staging", "s.png"),
        ]
    ):
        asset = stage(slug, images.png(colour=(n, 99, 9)), name)
        if asset.is_awaiting_review:
            services.approve(asset, admin_user)
        assert services.push_asset(asset.pk).status == Status.LIVE
        asset.refresh_from_db()
        assets[name] = asset
    return assets


def delete_behind_the_portals_back(pingone, asset):
    """DELETE straight to PingOne's Images API, as someone in PingOne's console would."""
    env_id = asset.environment.pingone_environment_id
    answer = pingone.api("DELETE", f"/environments/{env_id}/images/{asset.pingone_image_id}")
    assert answer.status_code == 204


def reconcile(*args):
    """Run the command; its exit code (as the shell would see it) and what it printed."""
    out = io.StringIO()
    try:
        call_command("reconcile", *args, stdout=out)
    except SystemExit as exit:
        return exit.code, out.getvalue()
    return 0, out.getvalue()


def lines_starting(output, word):
    return [line for line in output.splitlines() if line.startswith(word)]


def test_an_image_deleted_behind_the_portals_back_is_reported_and_nothing_else(pingone, live):
    gone = live["icon.png"]
    delete_behind_the_portals_back(pingone, gone)

    code, output = reconcile()

    assert code == 1
    (missing,) = lines_starting(output, "MISSING")
    assert f"production asset {gone.pk} “icon.png” image {gone.pingone_image_id}" in missing
    assert "PingOne answered 404" in missing
    assert not lines_starting(output, "ERROR")
    assert output.splitlines()[-1] == "checked 4, missing 1, errors 0"
    # Without --mark nothing is written, and the asset is not moved to a status of its own.
    gone.refresh_from_db()
    assert gone.status == Status.LIVE
    assert not AuditEvent.objects.filter(to_status=MISSING_IN_PINGONE).exists()


def test_when_pingone_has_every_image_the_exit_code_is_0(pingone, live):
    code, output = reconcile()
    assert (code, output) == (0, "checked 4, missing 0, errors 0\n")
    gets = [r for r in pingone.requests_log() if r["method"] == "GET" and "/images/" in r["path"]]
    assert sorted(r["path"].rsplit("/", 1)[1] for r in gets) == sorted(
        a.pingone_image_id for a in live.values()
    )


def test_verbosity_2_lists_the_images_found_too(pingone, live):
    _, output = reconcile("-v", "2")
    assert len(lines_starting(output, "present")) == 4


def test_environment_limits_the_check_to_that_environment(pingone, live):
    delete_behind_the_portals_back(pingone, live["logo.png"])
    delete_behind_the_portals_back(pingone, live["s.png"])

    code, output = reconcile("--environment", "staging")

    assert code == 1
    (missing,) = lines_starting(output, "MISSING")
    assert f"staging asset {live['s.png'].pk} " in missing
    assert output.splitlines()[-1] == "checked 1, missing 1, errors 0"
    gets = [r["path"] for r in pingone.requests_log() if r["method"] == "GET" and "/images/" in r["path"]]
    assert gets == [f"/v1/environments/{STAGING}/images/{live['s.png'].pingone_image_id}"]


def test_an_unknown_environment_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No environment 'prod' is registered") as refused:
        call_command("reconcile", "--environment", "prod")
    assert refused.value.returncode == 2


def test_mark_records_the_missing_image_in_the_assets_history_once(pingone, live, client, admin_user):
    gone = live["banner.png"]
    delete_behind_the_portals_back(pingone, gone)

    code, output = reconcile("--mark")

    assert code == 1
    assert "(recorded in its history)" in lines_starting(output, "MISSING")[0]
    (event,) = AuditEvent.objects.filter(to_status=MISSING_IN_PINGONE)
    assert event.asset_id == gone.pk
    assert (event.from_status, event.actor_label) == ("live", "manage.py reconcile")
    assert gone.pingone_image_id in event.note
    assert event.correlation_id  # PingOne's, of the GET that answered 404
    gone.refresh_from_db()
    assert gone.status == Status.LIVE  # no status is invented; the history says what happened

    client.force_login(admin_user)
    page = client.get(f"/assets/{gone.pk}/").content.decode()
    assert "Missing in PingOne" in page
    assert f"PingOne answered 404 for image {gone.pingone_image_id}" in page
    audit = client.get("/audit/", {"action": MISSING_IN_PINGONE}).content.decode()
    assert "Missing in PingOne" in audit and "banner.png" in audit and "logo.png" not in audit

    # A second run finds it again but does not repeat what the history already says.
    code, output = reconcile("--mark")
    assert code == 1 and "(recorded in its history)" not in output
    assert AuditEvent.objects.filter(to_status=MISSING_IN_PINGONE).count() == 1


def test_an_admin_can_then_retire_the_missing_asset_with_delete(pingone, live, client, admin_user):
    gone = live["logo.png"]
    delete_behind_the_portals_back(pingone, gone)
    reconcile("--mark")
    client.force_login(admin_user)

    client.post(f"/assets/{gone.pk}/delete/")

    gone.refresh_from_db()
    assert gone.status == Status.DELETED
    assert reconcile() == (0, "checked 3, missing 0, errors 0\n")


def test_a_pingone_500_is_reported_as_could_not_check_not_as_missing(pingone, live):
    flaky, gone = live["logo.png"], live["icon.png"]
    pingone.add_fault(path=f"/images/{flaky.pingone_image_id}$", method="GET", status=500)
    delete_behind_the_portals_back(pingone, gone)

    code, output = reconcile("--mark")

    assert code == 2
    (error,) = lines_starting(output, "ERROR")
    assert f"production asset {flaky.pk} “logo.png” image {flaky.pingone_image_id}" in error
    assert "could not check: 500 UNEXPECTED_ERROR" in error
    assert "Correlation-Id" in error
    (missing,) = lines_starting(output, "MISSING")
    assert f"asset {gone.pk} " in missing
    assert output.splitlines()[-1] == "checked 4, missing 1, errors 1"
    assert list(AuditEvent.objects.filter(to_status=MISSING_IN_PINGONE).values_list("asset", flat=True)) == [
        gone.pk
    ]


def test_an_environment_pingone_does_not_know_is_could_not_check_not_every_image_missing(
    pingone, live, environments
):
    """A wrong environment id, or no role for the worker app there: PingOne answers 404 for the
    environment's every image, and none of them may be taken for deleted."""
    elsewhere = environments["secret"]
    elsewhere.pingone_environment_id = "0b0e0d0c-0000-4000-8000-000000000000"  # not in PingOne
    elsewhere.save()
    stray = Asset.objects.create(
        **{f: getattr(live["logo.png"], f) for f in ("file", "format", "content_type", "width", "height")},
        byte_size=1,
        environment=elsewhere,
        filename="stray.png",
        sha256="0" * 64,
        status=Status.LIVE,
        pingone_image_id="11111111-2222-4333-8444-555555555555",
    )

    code, output = reconcile("--mark")

    assert code == 2
    (error,) = lines_starting(output, "ERROR")
    assert f"secret asset {stray.pk} “stray.png”" in error
    assert "PingOne does not know environment 0b0e0d0c-0000-4000-8000-000000000000" in error
    assert not lines_starting(output, "MISSING")
    assert output.splitlines()[-1] == "checked 5, missing 0, errors 1"
    assert not AuditEvent.objects.filter(to_status=MISSING_IN_PINGONE).exists()


def test_pingone_out_of_reach_is_could_not_check_for_each_asset(pingone, live, settings):
    settings.PINGONE_API_BASE_URL = "http://127.0.0.1:1/v1"  # nothing listens there

    code, output = reconcile()

    assert code == 2
    errors = lines_starting(output, "ERROR")
    assert len(errors) == 4
    assert all("could not check: CONNECTION_ERROR: Could not reach PingOne" in e for e in errors)
    assert "Traceback" not in output
    assert output.splitlines()[-1] == "checked 4, missing 0, errors 4"


def test_a_refused_worker_app_is_could_not_check(pingone, live, settings):
    cache.clear()  # no token left from the pushes
    settings.PINGONE_WORKER_CLIENT_SECRET = "not-the-secret"

    code, output = reconcile()

    assert code == 2
    errors = lines_starting(output, "ERROR")
    assert len(errors) == 4
    assert all("The worker app could not get a token" in e for e in errors)


def test_a_revoked_token_is_replaced_and_the_check_goes_on(pingone, live):
    pingone.add_fault(path="/images/", method="GET", status=401)
    assert reconcile() == (0, "checked 4, missing 0, errors 0\n")


def test_a_429_is_waited_out_and_the_image_checked(pingone, live):
    pingone.add_fault(path="/images/", method="GET", status=429, retry_after=1)
    assert reconcile() == (0, "checked 4, missing 0, errors 0\n")
    statuses = [r["status"] for r in pingone.requests_log() if "/images/" in r["path"]]
    assert statuses.count(429) == 1 and statuses.count(200) == 4


def test_the_scheduled_task_marks_missing_images(pingone, live):
    gone = live["s.png"]
    delete_behind_the_portals_back(pingone, gone)

    tasks.reconcile_task()

    (event,) = AuditEvent.objects.filter(to_status=MISSING_IN_PINGONE)
    assert (event.asset_id, event.actor_label) == (gone.pk, "scheduled reconcile")


def beat_schedule(**environment):
    """The beat schedule as portal.settings builds it with these environment variables."""
    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps({k: v['schedule'] for k, v in settings.CELERY_BEAT_SCHEDULE.items()}))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_DEBUG": "1", **environment}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_the_weekly_reconcile_is_scheduled_only_when_asked_for():
    assert "reconcile-with-pingone" not in beat_schedule(PORTAL_RECONCILE_EVERY_DAYS="")
    assert beat_schedule(PORTAL_RECONCILE_EVERY_DAYS="7")["reconcile-with-pingone"] == 7 * 24 * 3600


@pytest.mark.e2e
def test_reconcile_stays_within_the_request_budget_every_worker_shares(pingone, live, settings):
    """With PingOne limited to 5 requests/s and the shared budget at 5/s, no GET is refused."""
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    budget = redis.Redis.from_url(redis_url)
    for key in budget.scan_iter("portal:pingone:*"):  # the budget and any pause left by others
        budget.delete(key)
    for n in range(4):  # eight live assets in all
        asset = services.stage_upload(
            live["logo.png"].environment, None, _upload(images.png(colour=(n, 200, 200)), f"more-{n}.png")
        ).asset
        services.push_asset(asset.pk)
    assert Asset.objects.filter(status=Status.LIVE).count() == 8
    settings.PINGONE_RATE_LIMIT_REDIS_URL = redis_url
    settings.PINGONE_RATE_LIMIT_PER_SECOND = 5
    pingone.set_rate_limit(5)

    assert reconcile() == (0, "checked 8, missing 0, errors 0\n")
    assert 429 not in [r["status"] for r in pingone.requests_log()]


def _upload(data, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)
