"""Mail end to end: a real portal and Celery worker on Redis, sending through an SMTP server the test runs."""

import re
import time

import pytest
import redis

from tests import images
from tests.emulator_support import EmulatorProcess, free_port
from tests.ids import STAGING
from tests.portal_stack import PortalStack, emulator_config
from tests.test_notifications import MailServer

pytestmark = pytest.mark.e2e

ADMIN = "admin@example.com"
DESIGNER = "designer@example.com"
# The review digest's window, short for the test; three uploads take well under a second.
DIGEST_SECONDS = 5


@pytest.fixture(scope="module")
def mail_server():
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mail_stack(stack_redis_url, mail_server):
    """A portal whose worker mails through `mail_server`, with review on in Staging; its own
    emulator (for its callback port) and Redis database (so no other worker takes its tasks)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    redis_url = f"{stack_redis_url.rpartition('/')[0]}/10"
    redis.Redis.from_url(redis_url).flushdb()
    extra_env = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(mail_server.port),
        "EMAIL_TIMEOUT": "5",
        "PORTAL_BASE_URL": url,
        "PORTAL_REVIEW_DIGEST_SECONDS": str(DIGEST_SECONDS),
    }
    with EmulatorProcess(config=emulator_config([url, f"http://localhost:{port}"])) as emulator:
        running = PortalStack(emulator, port, redis_url, extra_env=extra_env)
        try:
            running.start()
            review = ["--name", "Staging", "--groups", "Branding", "--review-required"]
            running.manage("add_environment", "staging", STAGING, *review)
            yield running
        finally:
            running.stop()


def to(address):
    return lambda mail: address in mail.recipients


def upload_one(stack, session, name, data):
    (answer,) = stack.upload(session, "staging", [(name, data)]).json()["files"]
    assert answer["result"] == "staged", answer
    return answer["asset"]


def wait_for_log(stack, pattern, since, timeout=30):
    """Wait until the worker's log, past offset `since`, has a line matching `pattern`."""
    deadline = time.monotonic() + timeout
    while not re.search(pattern, stack.output("worker")[since:]):
        assert time.monotonic() < deadline, f"no {pattern!r} in:\n{stack.output('worker')[since:]}"
        time.sleep(0.2)


def test_three_uploads_waiting_for_review_bring_the_admins_one_email_naming_all_three(
    mail_stack, mail_server
):
    stack = mail_stack
    stack.sign_in(ADMIN)  # the portal learns an admin's address when they sign in
    designer = stack.sign_in(DESIGNER)
    names = ["first.png", "second.png", "third.png"]
    ids = [upload_one(stack, designer, name, images.png(colour=(n, n, n))) for n, name in enumerate(names)]
    stack.wait_for(designer, "staging", ids, {"awaiting_review"})

    (mail,) = mail_server.wait_for(1, timeout=DIGEST_SECONDS + 20, matching=to(ADMIN))
    assert mail.subject == "[Image Portal] 3 images waiting for review in Staging"
    for asset_id, name in zip(ids, names, strict=True):
        assert name in mail.body
        assert f"{stack.url}/assets/{asset_id}/" in mail.body
    assert f"{stack.url}/review/?environment=staging" in mail.body
    time.sleep(DIGEST_SECONDS + 1)
    assert len(mail_server.received) == 1  # one email for the burst, none to the uploader


def test_with_the_mail_server_down_uploads_and_reviews_work_and_the_mail_goes_out_once_it_is_back(
    mail_stack, mail_server
):
    stack = mail_stack
    admin, designer = stack.sign_in(ADMIN), stack.sign_in(DESIGNER)
    sent_before, log_before = len(mail_server.received), len(stack.output("worker"))

    mail_server.stop()
    try:
        refused = upload_one(stack, designer, "refused.png", images.gif(colour=(90, 10, 10)))
        kept = upload_one(stack, designer, "kept.png", images.jpeg(colour=(10, 90, 10)))
        token = stack.csrf(admin, f"/assets/{refused}/")
        answer = admin.post(
            f"{stack.url}/assets/{refused}/reject/",
            data={"reason": "Off-brand colours."},
            headers={"Accept": "application/json", "X-CSRFToken": token},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text[:500]
        (asset,) = stack.wait_for(designer, "staging", [refused], {"rejected"})
        assert asset["error"] == {"code": "rejected", "message": "Off-brand colours."}
        # Both mails were tried, failed, and put off for a retry.
        wait_for_log(stack, r"send_asset_notice\[[^\]]+\] retry: Retry in", log_before)
        wait_for_log(stack, r"send_review_digest\[[^\]]+\] retry: Retry in", log_before)
        assert len(mail_server.received) == sent_before
    finally:
        mail_server.start()

    (notice,) = mail_server.wait_for(1, timeout=30, matching=to(DESIGNER))
    assert notice.subject == "[Image Portal] Your upload refused.png was rejected"
    assert "Reason: Off-brand colours." in notice.body
    assert f"{stack.url}/assets/{refused}/" in notice.body
    (digest,) = mail_server.wait_for(1, timeout=30, matching=lambda m: to(ADMIN)(m) and "kept.png" in m.body)
    assert f"{stack.url}/assets/{kept}/" in digest.body and "refused.png" not in digest.body
