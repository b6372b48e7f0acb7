"""Celery tasks: thin wrappers that take an id and call the service."""

import logging
import smtplib

from celery import shared_task
from celery.signals import worker_ready

from . import branding, notifications, reconcile, services


# Soft limit first, so the push can record why it stopped before the hard limit kills it.
@shared_task(
    name=services.PUSH_TASK,
    bind=True,
    soft_time_limit=services.PUSH_TIME_LIMIT - 30,
    time_limit=services.PUSH_TIME_LIMIT,
    max_retries=None,
)  # attempts are counted on the asset, not by Celery
def push_asset_task(self, asset_id):
    outcome = services.push_asset(asset_id)
    if outcome is not None and outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)


# Every PORTAL_SWEEP_SECONDS from beat; cheap when nothing is stalled (a few indexed queries).
@shared_task(name=services.RECOVER_TASK, soft_time_limit=50, time_limit=60)
def recover_stalled_task():
    services.recover_stalled()


@worker_ready.connect
def recover_when_a_worker_starts(**kwargs):
    """A worker that starts (after a crash, a deploy) sweeps at once instead of waiting for beat."""
    try:
        services.recover_stalled()
    except Exception:  # a sweep that fails must not stop the worker; beat sweeps again soon
        logging.getLogger(__name__).exception("The start-up sweep failed")


# Every ten minutes from beat: a theme changed in PingOne's console shows up here too. A few
# GETs per environment; an environment PingOne does not answer for is skipped until next time.
@shared_task(name=branding.REFRESH_TASK, soft_time_limit=240, time_limit=300)
def refresh_branding_usage_task():
    branding.refresh_all_usage()


# Mail waits out a mail server that is down instead of being lost; it has its own queue.
MAIL_RETRY = {
    # Refused or dropped connections, timeouts, TLS and SMTP errors: the server may be back later.
    "autoretry_for": (OSError, smtplib.SMTPException),
    # Every recipient refused: asking again will not change the answer.
    "dont_autoretry_for": (smtplib.SMTPRecipientsRefused,),
    # 1 s, 2 s, 4 s, ...: after a blip the mail goes out within seconds.
    "retry_backoff": 1,
    # Then every 5 minutes, so a long outage costs a few attempts, not a storm of them.
    "retry_backoff_max": 300,
    # A few messages cannot overwhelm a server, and without jitter the outage covered is known.
    "retry_jitter": False,
    # 1 + 2 + ... + 256 s, then 3 x 300 s: about 24 minutes of outage before the mail is dropped
    # (Celery logs that failure).
    "max_retries": 12,
}


@shared_task(name=notifications.REVIEW_DIGEST_TASK, **MAIL_RETRY)
def send_review_digest_task(environment_id):
    notifications.send_review_digest(environment_id)


@shared_task(name=notifications.ASSET_NOTICE_TASK, **MAIL_RETRY)
def send_asset_notice_task(asset_id, kind):
    notifications.send_asset_notice(asset_id, kind)


# --- Reconciliation --------------------------------------------------------------------------


# Optional, from beat every PORTAL_RECONCILE_EVERY_DAYS: one GET per live asset within the shared
# request budget, so it can take a while; the hard limit stays under the broker's visibility
# timeout (3600 s), or an unacknowledged run would be handed to a second worker.
@shared_task(name=reconcile.RECONCILE_TASK, soft_time_limit=3000, time_limit=3300)
def reconcile_task():
    report = reconcile.reconcile(mark=True, by="scheduled reconcile")
    log = logging.getLogger(__name__)
    for finding in report.missing + report.errors:
        log.warning("Reconcile: %s", finding.describe())
    log.info("Reconciled with PingOne: %s", report.summary())
