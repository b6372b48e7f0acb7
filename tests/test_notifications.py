"""Mail about reviews and failures, sent by the tasks through a real SMTP server the test runs."""

import email
import email.policy
import logging
import smtplib
import time
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller
from celery.app.trace import trace_task_ret
from celery.utils.time import get_exponential_backoff_interval
from django.core.files.uploadedfile import SimpleUploadedFile

from images_app import notifications, services, tasks
from images_app.models import Asset, Status
from portal.celery import app
from tests import images
from tests.emulator_support import free_port

JSON = {"HTTP_ACCEPT": "application/json"}
BASE_URL = "https://images.example.com"


@dataclass(frozen=True)
class Mail:
    """One message as the SMTP server received it."""

    sender: str
    recipients: list
    subject: str
    body: str


class MailServer:
    """A real SMTP server on a local port (aiosmtpd in a thread), keeping what it accepts."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.received = []
        self._controller = None

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(
            Mail(envelope.mail_from, list(envelope.rcpt_tos), message["Subject"], message.get_content())
        )
        return "250 Message accepted for delivery"

    def start(self):
        """Listen on self.port (the same one after a stop)."""
        # Its INFO lines, one per connection, come from its own thread after a test's output ends.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count, timeout, matching=lambda mail: True):
        """The received mail that `matching` accepts, once there are at least `count` of it."""
        deadline = time.monotonic() + timeout
        while len(found := [m for m in self.received if matching(m)]) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} mail, got {found}")
            time.sleep(0.1)
        return found


@pytest.fixture
def mail_server():
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp(settings, mail_server):
    """Django sends through the test's SMTP server; links point at BASE_URL."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = mail_server.port
    settings.EMAIL_TIMEOUT = 5
    settings.PORTAL_BASE_URL = BASE_URL
    settings.PORTAL_ADMIN_EMAILS = []
    return mail_server


@dataclass(frozen=True)
class Queued:
    """One task message taken from the in-memory broker."""

    task: str
    args: list
    headers: dict
    message: object


def take(queue="mail"):
    """Every message waiting in a queue, oldest first, taken off it."""
    found = []
    with app.connection_for_read() as connection:
        simple = connection.SimpleQueue(queue)
        while True:
            try:
                message = simple.get(block=False)
            except simple.Empty:
                return found
            message.ack()
            found.append(Queued(message.headers["task"], message.payload[0], message.headers, message))


def deliver(queued):
    """Run a taken message the way a worker does: a retry is published back to the broker."""
    message = queued.message
    request = {**message.headers, "delivery_info": message.delivery_info}
    failed, _, _ = trace_task_ret(
        queued.task,
        message.headers["id"],
        request,
        message.body,
        message.content_type,
        message.content_encoding,
        app=app,
    )
    return not failed


def run_all(queue="mail"):
    """Deliver every message waiting in a queue; True if all of them succeeded."""
    return all([deliver(queued) for queued in take(queue)])


@pytest.fixture
def clock(monkeypatch):
    """The notifications module's clock, moved by hand: clock.advance(seconds)."""

    class Clock:
        now = time.time()

        def time(self):
            return self.now

        def advance(self, seconds):
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr(notifications, "time", fake)
    return fake


def upload_three(stage):
    return [
        stage("staging", images.png(colour=colour), name)
        for colour, name in [((1, 2, 3), "alpha.png"), ((4, 5, 6), "beta.png"), ((7, 8, 9), "gamma.png")]
    ]


def test_the_mail_tasks_have_a_queue_of_their_own_and_retry_for_minutes():
    for task in (tasks.send_review_digest_task, tasks.send_asset_notice_task):
        assert task.name in app.tasks
        assert app.amqp.router.route({}, task.name)["queue"].name == "mail"
        assert isinstance(ConnectionRefusedError(), task.autoretry_for)
        assert isinstance(smtplib.SMTPServerDisconnected(), task.autoretry_for)
        waits = [
            get_exponential_backoff_interval(task.retry_backoff, n, task.retry_backoff_max)
            for n in range(task.max_retries)
        ]
        assert waits[0] <= 2  # a short outage delays mail by seconds
        assert max(waits) <= 300 and sum(waits) >= 15 * 60


def test_three_uploads_waiting_for_review_make_one_digest_naming_all_three(
    stage, admin_user, smtp, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        alpha, beta, gamma = upload_three(stage)

    (digest,) = take()
    assert (digest.task, digest.args) == (notifications.REVIEW_DIGEST_TASK, [alpha.environment_id])
    assert digest.headers["eta"]  # sent when the window ends, not at once
    assert broker.count("images") == 0

    assert deliver(digest)
    (mail,) = smtp.received
    assert mail.recipients == ["admin@example.com"]
    assert mail.subject == "[Image Portal] 3 images waiting for review in Staging"
    for asset in (alpha, beta, gamma):
        assert asset.filename in mail.body
        assert f"{BASE_URL}/assets/{asset.pk}/" in mail.body
    assert mail.body.count("designer@example.com") == 3
    assert f"{BASE_URL}/review/?environment=staging" in mail.body


def test_uploads_right_after_a_digest_wait_for_the_next_window(
    stage, admin_user, smtp, broker, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload_three(stage)
    assert run_all()
    assert len(smtp.received) == 1

    with django_capture_on_commit_callbacks(execute=True):
        late = stage("staging", images.png(colour=(10, 11, 12)), "delta.png")
    clock.advance(5)
    (digest,) = take()
    assert deliver(digest)
    assert len(smtp.received) == 1  # too soon after the last one: put off to the window's end
    (put_off,) = take()
    assert put_off.task == notifications.REVIEW_DIGEST_TASK

    clock.advance(120)
    assert deliver(put_off)
    assert len(smtp.received) == 2
    assert smtp.received[1].subject == "[Image Portal] 4 images waiting for review in Staging"
    assert late.filename in smtp.received[1].body


def test_a_digest_with_nothing_new_or_nothing_waiting_is_not_sent(stage, admin_user, smtp, clock):
    alpha, beta, gamma = upload_three(stage)
    assert notifications.send_review_digest(alpha.environment_id) == 3
    clock.advance(300)
    assert notifications.send_review_digest(alpha.environment_id) == 0  # the same three

    for asset in (alpha, beta, gamma):
        services.reject(asset, admin_user, "no")
    stage("staging", images.png(colour=(50, 50, 50)), "epsilon.png")
    clock.advance(300)
    assert notifications.send_review_digest(alpha.environment_id) == 1
    assert len(smtp.received) == 2


def test_the_digest_goes_to_every_admin_with_an_email_and_the_configured_addresses(
    settings, make_user, admin_user
):
    make_user("", ["Image Portal Admins"])
    make_user("designer@example.com", ["Branding"])
    inactive = make_user("gone@example.com", ["Image Portal Admins"])
    inactive.is_active = False
    inactive.save()
    root = make_user("root@example.com")
    root.is_superuser = True
    root.save()
    settings.PORTAL_ADMIN_EMAILS = ["ops@example.com", "Admin@example.com"]

    assert notifications.admin_emails() == ["admin@example.com", "ops@example.com", "root@example.com"]


def test_a_rejection_mails_the_uploader_the_reason_and_a_link(
    stage, admin_user, smtp, broker, django_capture_on_commit_callbacks
):
    asset = stage("staging", name="logo & mark.png")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reject(asset, admin_user, "Use the 2024 palette & a transparent background.")

    (notice,) = [queued for queued in take() if queued.task == notifications.ASSET_NOTICE_TASK]
    assert notice.args == [asset.pk, "rejected"]
    assert deliver(notice)
    (mail,) = smtp.received
    assert mail.recipients == ["designer@example.com"]
    assert mail.subject == "[Image Portal] Your upload logo & mark.png was rejected"
    assert "Reason: Use the 2024 palette & a transparent background." in mail.body
    assert f"{BASE_URL}/assets/{asset.pk}/" in mail.body


def test_a_push_that_fails_for_good_mails_the_uploader_the_error(
    stage, pingone, smtp, broker, django_capture_on_commit_callbacks
):
    asset = stage("production", name="banner.png")
    pingone.add_fault(path="/images$", method="POST", status=403)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.push_asset(asset.pk).status == Status.FAILED

    asset.refresh_from_db()
    (notice,) = take()
    assert notice.args == [asset.pk, "failed"]
    assert deliver(notice)
    (mail,) = smtp.received
    assert mail.recipients == ["designer@example.com"]
    assert mail.subject == "[Image Portal] Your upload banner.png failed"
    assert f"Error: ACCESS_FAILED: {asset.error_message}" in mail.body
    assert f"{BASE_URL}/assets/{asset.pk}/" in mail.body


def test_no_notice_goes_to_an_uploader_without_an_email_or_about_an_asset_that_moved_on(
    stage, admin_user, designer, smtp
):
    rejected = stage("staging", images.png(colour=(3, 3, 3)))
    services.reject(rejected, admin_user, "no")
    queued = stage("production", images.png(colour=(4, 4, 4)))

    assert notifications.send_asset_notice(queued.pk, "failed") is False  # as after a retry
    designer.email = ""
    designer.save()
    assert notifications.send_asset_notice(rejected.pk, "rejected") is False
    assert notifications.send_asset_notice(999999, "rejected") is False
    assert smtp.received == []


def test_with_the_mail_server_down_uploads_and_reviews_work_and_the_mail_follows_later(
    client,
    designer,
    admin_user,
    environments,
    staging_storage,
    smtp,
    broker,
    django_capture_on_commit_callbacks,
):
    smtp.stop()
    client.force_login(designer)
    files = [SimpleUploadedFile("kept.png", images.png()), SimpleUploadedFile("refused.png", images.gif())]
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/environments/staging/upload/", {"files": files}, **JSON)
    assert [f["result"] for f in answer.json()["files"]] == ["staged", "staged"]
    refused = answer.json()["files"][1]["asset"]
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/assets/{refused}/reject/", {"reason": "Blurry."}, **JSON)
    assert answer.status_code == 200
    assert Asset.objects.get(pk=refused).status == Status.REJECTED

    digest, notice = take()
    assert not deliver(digest) and not deliver(notice)  # each failed, and was put back for later
    retried = take()
    assert [(q.task, q.args, q.headers["retries"]) for q in retried] == [
        (notifications.REVIEW_DIGEST_TASK, digest.args, 1),
        (notifications.ASSET_NOTICE_TASK, [refused, "rejected"], 1),
    ]
    assert all(q.headers["eta"] for q in retried)
    assert smtp.received == []

    smtp.start()
    assert all([deliver(queued) for queued in retried])
    to_admins, to_uploader = smtp.received
    assert to_admins.recipients == ["admin@example.com"]
    assert "kept.png" in to_admins.body and "refused.png" not in to_admins.body
    assert to_uploader.recipients == ["designer@example.com"]
    assert "Reason: Blurry." in to_uploader.body
