"""Telling people by email: admins when uploads wait for review, uploaders when theirs fail or are refused."""

import logging
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse

from . import dispatch
from .models import Asset, Environment, Status

log = logging.getLogger(__name__)

# Task names are a contract with running workers; images_app.tasks registers them.
REVIEW_DIGEST_TASK = "images_app.send_review_digest"
ASSET_NOTICE_TASK = "images_app.send_asset_notice"

REJECTED = "rejected"
FAILED = "failed"
# What a notice is about, and the status the asset must still be in for it to be news.
NOTICE_STATUSES = {REJECTED: Status.REJECTED, FAILED: Status.FAILED}

# A scheduled digest's marker outlives its countdown by this much, so a worker running a little
# late does not let a second digest be scheduled meanwhile.
SCHEDULE_SLACK = 60
# How long the ids a digest listed are remembered, so that a digest with nothing new is not sent.
LISTED_TIMEOUT = 7 * 24 * 3600
# A digest names at most this many assets, then says how many more wait.
DIGEST_MAX_ROWS = 100


# --- Hooks the pipeline calls --------------------------------------------------------------
# Called inside the pipeline's transactions: they only queue a task once it commits. Workers
# alone send mail, so a mail server that is down delays mail, never an upload or a review.


def review_waiting(asset):
    """An asset started waiting for review: make sure a digest of its environment is scheduled."""
    environment_id = asset.environment_id
    transaction.on_commit(lambda: schedule_review_digest(environment_id))


def asset_rejected(asset):
    """An admin rejected the asset: tell its uploader, with the reason."""
    _notice_after_commit(asset, REJECTED)


def asset_failed(asset):
    """The asset's push failed for good: tell its uploader, with the error."""
    _notice_after_commit(asset, FAILED)


def _notice_after_commit(asset, kind):
    if asset.uploaded_by_id is None:
        return
    asset_id = asset.pk
    transaction.on_commit(lambda: _queue(ASSET_NOTICE_TASK, [asset_id, kind]))


def schedule_review_digest(environment_id: int) -> bool:
    """Queue the environment's review digest unless one is already scheduled; True if this call did."""
    delay = settings.PORTAL_REVIEW_DIGEST_SECONDS
    key = _scheduled_key(environment_id)
    try:
        # The cache is shared by every web process and worker: one digest per burst, not one each.
        if not cache.add(key, True, timeout=delay + SCHEDULE_SLACK):
            return False
    except Exception:
        log.exception("Could not schedule the review digest of environment %s", environment_id)
        return False
    if _queue(REVIEW_DIGEST_TASK, [environment_id], countdown=delay):
        return True
    # Let the next upload try again rather than wait for the marker to expire.
    try:
        cache.delete(key)
    except Exception:
        log.exception("Could not clear the review digest marker of environment %s", environment_id)
    return False


def _queue(task_name, args, countdown=None):
    """Hand a mail task to a worker; a broker outage is logged, never raised into the caller."""
    return dispatch.send(
        task_name,
        args,
        what=f"{task_name} with {args}",
        otherwise="that mail is not sent",
        countdown=countdown,
    )


def _scheduled_key(environment_id):
    return f"review-digest:scheduled:{environment_id}"


def _sent_key(environment_id):
    return f"review-digest:sent:{environment_id}"


def _listed_key(environment_id):
    return f"review-digest:listed:{environment_id}"


# --- Senders the tasks call ----------------------------------------------------------------


def send_review_digest(environment_id: int) -> int:
    """Mail the admins every asset of the environment still awaiting review; how many it listed."""
    environment = Environment.objects.filter(pk=environment_id).first()
    if environment is None:
        return 0
    window = settings.PORTAL_REVIEW_DIGEST_SECONDS
    sent_at = cache.get(_sent_key(environment_id))
    if sent_at is not None and (wait := sent_at + window - time.time()) > 0:
        # One went out less than a window ago: this one goes when the window ends.
        _queue(REVIEW_DIGEST_TASK, [environment_id], countdown=wait)
        return 0
    # From here on an upload schedules the next digest: it may repeat what this one lists, but
    # nothing that starts waiting after the query below goes unmentioned.
    cache.delete(_scheduled_key(environment_id))
    waiting = list(Asset.objects.for_environment(environment).awaiting_review().select_related("uploaded_by"))
    listed = set(cache.get(_listed_key(environment_id)) or ())
    if not waiting or {asset.pk for asset in waiting} <= listed:
        return 0  # reviewed meanwhile, or the last digest named all of them already
    recipients = admin_emails()
    if not recipients:
        log.warning("%d assets wait for review in %s, but no admin has an email", len(waiting), environment)
        return 0
    query = urlencode({"environment": environment.slug})
    _send(
        "review_digest",
        {
            "environment": environment,
            "count": len(waiting),
            "rows": [_digest_row(asset) for asset in waiting[:DIGEST_MAX_ROWS]],
            "more": max(0, len(waiting) - DIGEST_MAX_ROWS),
            "review_url": f"{_absolute(reverse('images:review'))}?{query}",
        },
        recipients,
    )
    cache.set(_sent_key(environment_id), time.time(), timeout=window)
    cache.set(_listed_key(environment_id), [asset.pk for asset in waiting], timeout=LISTED_TIMEOUT)
    log.info(
        "Sent the review digest of %s: %d waiting, %d recipients",
        environment.slug,
        len(waiting),
        len(recipients),
    )
    return len(waiting)


def _digest_row(asset):
    user = asset.uploaded_by
    return {
        "filename": asset.filename,
        "uploader": (user.email or user.get_username()) if user else "a deleted user",
        "uploaded_at": asset.created_at,
        "url": _absolute(asset.get_absolute_url()),
    }


def admin_emails() -> list[str]:
    """Who gets review digests: admins with an email, plus PORTAL_ADMIN_EMAILS, each once."""
    users = (
        get_user_model()
        .objects.filter(Q(groups__name=settings.PORTAL_ADMIN_GROUP) | Q(is_superuser=True), is_active=True)
        .exclude(email="")
        .distinct()
    )
    found = [*users.values_list("email", flat=True), *settings.PORTAL_ADMIN_EMAILS]
    unique = {}
    for address in (email.strip() for email in found):
        if address:
            unique.setdefault(address.lower(), address)
    return sorted(unique.values(), key=str.lower)


def send_asset_notice(asset_id: int, kind: str) -> bool:
    """Mail the uploader why their asset was rejected or failed for good; False if not sent."""
    asset = Asset.objects.select_related("environment", "uploaded_by").filter(pk=asset_id).first()
    if asset is None or kind not in NOTICE_STATUSES:
        return False
    if asset.status != NOTICE_STATUSES[kind]:
        return False  # it moved on since (retried, say) while this mail waited
    user = asset.uploaded_by
    if user is None or not user.email:
        return False
    _send(f"asset_{kind}", {"asset": asset, "asset_url": _absolute(asset.get_absolute_url())}, [user.email])
    log.info("Sent the uploader of asset %s a notice: %s", asset.pk, kind)
    return True


def _absolute(path):
    return f"{settings.PORTAL_BASE_URL}{path}"


def _send(template, context, recipients):
    """Render images_app/email/<template>_subject.txt and <template>.txt and send them."""
    subject = render_to_string(f"images_app/email/{template}_subject.txt", context)
    body = render_to_string(f"images_app/email/{template}.txt", context).strip() + "\n"
    # One line, whatever a filename holds: a header cannot take a line break.
    EmailMessage(" ".join(subject.split()), body, to=recipients).send()
