"""The upload pipeline, top to bottom: stage a file, queue it, push it to PingOne, record the answer.

This is the one place where the database, staging storage, Celery and PingOne meet.
"""

import logging
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_task
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import branding, dispatch, leases, log_context, metrics, notifications, pingone, rate_limit
from .clients import pingone_client
from .imaging import EXTENSIONS, CleanImage, ImageRejected, clean_image, display_filename, safe_filename
from .models import SETTINGS_CHANGED, Asset, AuditEvent, Environment, Status

log = logging.getLogger(__name__)

# Task names are a contract with running workers; images_app.tasks registers them.
PUSH_TASK = "images_app.push_asset"
RECOVER_TASK = "images_app.recover_stalled"
# The push task's hard time limit, in seconds: one HTTP call with a 30 s read timeout, plus a
# token fetch, plus room to record the outcome.
PUSH_TIME_LIMIT = 150
# Longest we wait before another attempt, whatever Retry-After says.
MAX_RETRY_DELAY = 300
# Queued this long with no attempt: its message was lost (broker down at upload). Longer than
# MAX_RETRY_DELAY, so an asset waiting for a scheduled retry is never taken for lost.
STALLED_QUEUED = timedelta(minutes=10)
# A claim lasts at most the hard time limit plus a margin, even if no heartbeat says otherwise.
PUSH_LEASE = timedelta(seconds=PUSH_TIME_LIMIT + 30)
# A claim younger than this is never taken back: its holder may not have beaten yet.
CLAIM_GRACE = timedelta(seconds=5)


# --- Staging -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadResult:
    """What became of one uploaded file."""

    filename: str
    outcome: str  # "staged", "duplicate" or "rejected"
    asset: Asset | None = None
    code: str | None = None
    message: str = ""

    @property
    def staged(self) -> bool:
        return self.outcome == "staged"

    def as_json(self) -> dict:
        return {
            "filename": self.filename,
            "result": self.outcome,
            "asset": self.asset.pk if self.asset else None,
            "code": self.code,
            "message": self.message,
        }


def stage_uploads(
    environment: Environment, user: AbstractBaseUser, files: Iterable[UploadedFile]
) -> list[UploadResult]:
    """Look at each uploaded file in order and stage the good ones; one result per file."""
    results = [stage_upload(environment, user, upload) for upload in files]
    metrics.record_uploads(results)
    return results


def stage_upload(environment: Environment, user: AbstractBaseUser, upload: UploadedFile) -> UploadResult:
    """Check one file, store its clean bytes, record the asset and queue it unless it needs review."""
    filename = display_filename(upload.name)
    max_bytes = settings.PORTAL_MAX_IMAGE_BYTES
    try:
        if upload.size > max_bytes:
            raise ImageRejected(
                "file_too_large",
                f"The file is {upload.size:,} bytes; the limit is {max_bytes:,} bytes.",
            )
        image = clean_image(upload.read(), max_bytes=max_bytes, max_pixels=settings.PORTAL_MAX_IMAGE_PIXELS)
    except ImageRejected as exc:
        return UploadResult(filename, "rejected", code=exc.code, message=exc.message)
    return _stage_clean_image(environment, user, filename, image, note="uploaded")


def _stage_clean_image(environment, user, filename, image, *, note, source=None):
    """Store clean bytes in staging and record the asset (queued, or waiting for review)."""
    existing = _active_duplicate(environment, image.sha256)
    if existing:
        return _duplicate(filename, existing)

    try:
        stored_name = default_storage.save(
            f"staging/{environment.slug}/{uuid.uuid4().hex}.{image.extension}",
            ContentFile(image.data),
        )
    except Exception:
        log.exception("Could not write %s to staging storage", filename)
        return UploadResult(
            filename,
            "rejected",
            code="storage_unavailable",
            message="The file could not be stored. Please try again.",
        )

    status = Status.AWAITING_REVIEW if environment.review_required else Status.QUEUED
    try:
        with transaction.atomic():
            asset = Asset.objects.create(
                environment=environment,
                file=stored_name,
                filename=filename,
                sha256=image.sha256,
                format=image.format,
                content_type=image.content_type,
                width=image.width,
                height=image.height,
                frames=image.frames,
                byte_size=len(image.data),
                status=status,
                uploaded_by=user,
                source=source,
            )
            AuditEvent.record(user, asset=asset, to_status=status, note=note)
    except IntegrityError:
        # Someone uploaded the same bytes a moment ago: theirs wins.
        default_storage.delete(stored_name)
        existing = _active_duplicate(environment, image.sha256)
        if existing is None:
            raise
        return _duplicate(filename, existing)

    if status == Status.QUEUED:
        queue_push_after_commit(asset.pk)
    else:
        notifications.review_waiting(asset)
    message = "Waiting for an admin's review." if status == Status.AWAITING_REVIEW else "Queued."
    return UploadResult(filename, "staged", asset=asset, message=message)


def _active_duplicate(environment, sha256):
    return Asset.objects.for_environment(environment).blocking_duplicates().filter(sha256=sha256).first()


def _duplicate(filename, existing):
    return UploadResult(
        filename,
        "duplicate",
        asset=existing,
        code="duplicate",
        message=f"The same image is already here as “{existing.filename}” "
        f"({existing.get_status_display().lower()}).",
    )


# --- Review and retry --------------------------------------------------------------------


def approve(asset: Asset, actor: AbstractBaseUser) -> bool:
    """An admin lets an asset waiting for review go to PingOne; False if it no longer waits."""
    return _queue_again(asset, from_status=Status.AWAITING_REVIEW, actor=actor, note="approved")


def reject(asset: Asset, actor: AbstractBaseUser, reason: str) -> bool:
    """An admin refuses an asset waiting for review, with a reason the uploader sees; its
    staged file is deleted (the row and its history stay). False if it no longer waits."""
    staged = asset.file.name
    moved = asset.transition(
        Status.REJECTED,
        from_status=Status.AWAITING_REVIEW,
        actor=actor,
        note=reason,
        error_code="rejected",
        error_message=reason,
        file="",
    )
    if moved:
        transaction.on_commit(lambda: _delete_staged(staged))
        notifications.asset_rejected(asset)
    return moved


def _delete_staged(name):
    try:
        default_storage.delete(name)
    except Exception:
        log.exception("Could not delete the staged file %s; it is no longer referenced", name)


@dataclass(frozen=True)
class ReviewOutcome:
    """What one bulk decision did: assets moved, and assets skipped (already handled or unknown)."""

    done: list[Asset]
    skipped: list[int]


def review_many(
    asset_ids: Iterable[int], actor: AbstractBaseUser, action: str, reason: str = ""
) -> ReviewOutcome:
    """Approve or reject several assets, each with its own conditional transition: one that
    another admin handled first (or that is not waiting) is skipped, never handled twice."""
    asset_ids = list(dict.fromkeys(asset_ids))  # in the order given, once each
    found = {a.pk: a for a in Asset.objects.filter(pk__in=asset_ids).select_related("environment")}
    done, skipped = [], []
    for asset_id in asset_ids:
        asset = found.get(asset_id)
        moved = False
        if asset is not None:
            moved = approve(asset, actor) if action == "approve" else reject(asset, actor, reason)
        if moved:
            done.append(asset)
        else:
            skipped.append(asset_id)
    return ReviewOutcome(done, skipped)


def set_review_required(
    environment: Environment, actor: AbstractBaseUser | None, required: bool, *, by: str = ""
) -> bool:
    """Turn review on or off for an environment, audited; False when it already was so.
    `by` names an actor that is no user (a command)."""
    with transaction.atomic():
        changed = (
            Environment.objects.filter(pk=environment.pk)
            .exclude(review_required=required)
            .update(review_required=required)
        )
        if changed:
            note = "review turned on" if required else "review turned off"
            AuditEvent.record(actor, environment=environment, to_status=SETTINGS_CHANGED, note=note, by=by)
    environment.refresh_from_db()
    return bool(changed)


def retry(asset: Asset, actor: AbstractBaseUser) -> bool:
    """Push a failed asset again, with a fresh count of attempts; False if it is not failed."""
    return _queue_again(asset, from_status=Status.FAILED, actor=actor, note="retry requested", attempts=0)


def _queue_again(asset, *, from_status, actor, note, **changes):
    moved = asset.transition(Status.QUEUED, from_status=from_status, actor=actor, note=note, **changes)
    if moved:
        queue_push_after_commit(asset.pk)
    return moved


# --- Queueing ----------------------------------------------------------------------------


def queue_push_after_commit(asset_id: int) -> None:
    """Queue the push once the transaction that made the asset queued commits."""
    transaction.on_commit(lambda: queue_push(asset_id))


def queue_push(asset_id: int) -> bool:
    """Hand the asset to a worker. When the broker does not answer, the asset records that
    it was not dispatched and the sweep sends it again as soon as the broker is back."""
    if dispatch.send(
        PUSH_TASK, [asset_id], what=f"asset {asset_id} for pushing", otherwise="it stays queued"
    ):
        return True
    Asset.objects.filter(pk=asset_id, status=Status.QUEUED).update(dispatch_failed_at=timezone.now())
    return False


# --- Pushing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PushOutcome:
    """Where a push left the asset, and when to try again if it should be."""

    status: str
    retry_in: float | None = None


def push_asset(asset_id: int) -> PushOutcome | None:
    """Claim a queued asset, POST its bytes to PingOne and record what comes back.

    None when there was nothing to do: the asset is gone, or not queued (another delivery has it).
    """
    asset = Asset.objects.select_related("environment").filter(pk=asset_id).first()
    if asset is None or asset.status != Status.QUEUED:
        return None  # gone, or another delivery has it
    log_context.bind(asset=asset.pk, environment=asset.environment.slug)
    holder = leases.holder()
    with leases.heartbeat(holder):
        # One UPDATE (and its audit row): the attempts read above must still be the row's, so
        # the count is exact without reading it back.
        if not asset.transition(
            Status.PUSHING,
            from_status=Status.QUEUED,
            expect={"attempts": asset.attempts},
            attempts=asset.attempts + 1,
            claimed_by=holder,
            lease_until=timezone.now() + PUSH_LEASE,
            dispatch_failed_at=None,
        ):
            return None  # another delivery claimed it first
        return metrics.timed_push(_push_claimed, asset, holder)


def _push_claimed(asset, holder):
    try:
        with asset.file.open("rb") as staged:
            data = staged.read()
    except FileNotFoundError:
        return _fail(asset, pingone.GiveUp("The staged file is missing.", code="STAGED_FILE_MISSING"))
    except Exception as exc:  # noqa: BLE001  (S3 down or refusing: any of boto3's errors)
        log.warning("Could not read the staged file of asset %s: %s", asset.pk, exc)
        unreadable = pingone.RetryLater(
            "The staged file could not be read (staging storage unavailable).", code="STAGING_UNAVAILABLE"
        )
        return _retry_later(asset, holder, unreadable)
    try:
        wait = _wait_for_budget()
        if wait:
            return _budget_paused(asset, holder, wait)
        image = pingone_client().create_image(
            asset.environment.pingone_environment_id,
            data,
            asset.content_type,
            safe_filename(asset.filename, EXTENSIONS[asset.format]),
        )
    except pingone.GiveUp as exc:
        if not _environment_settling(asset, exc):
            return _fail(asset, exc)
        return _retry_later(asset, holder, exc)
    except pingone.RetryLater as exc:
        if exc.status == 429:
            rate_limit.pause(exc.retry_after or 1)
        return _retry_later(asset, holder, exc)
    except Exception as exc:
        # Never leave the asset claimed: say what happened and let a person retry.
        log.exception("Pushing asset %s failed unexpectedly", asset.pk)
        error = pingone.GiveUp(f"The push failed unexpectedly ({type(exc).__name__}).", code="PORTAL_ERROR")
        return _fail(asset, error)

    asset.transition(
        Status.LIVE,
        from_status=Status.PUSHING,
        held_by=holder,
        pingone_image_id=image.id,
        targets=image.targets_as_json(),
        pingone_created_at=image.created_at,
        error_code="",
        error_message="",
        claimed_by="",
        lease_until=None,
        note=f"PingOne image {image.id}" + (f" by {current_task.request.hostname}" if current_task else ""),
        correlation_id=image.correlation_id,
    )
    return PushOutcome(Status.LIVE)


def _wait_for_budget():
    """All workers share one budget of PingOne requests: take a place in it instead of meeting
    a 429. A place a moment away is waited for here, and the request then reaches PingOne about
    when the budget placed it; a longer wait (everyone paused by a 429, a long line) is returned
    and the push goes back to the queue."""
    wait = rate_limit.take()
    if wait:
        metrics.record_rate_budget_wait(wait)
    return wait


def _budget_paused(asset, holder, wait):
    """Back to the queue until the pause ends; no request was made, so no attempt is counted."""
    asset.transition(
        Status.QUEUED,
        from_status=Status.PUSHING,
        held_by=holder,
        attempts=asset.attempts - 1,
        claimed_by="",
        lease_until=None,
        note=f"no place yet in the shared PingOne budget (429 pause or long line); next try in {wait:.0f} s",
    )
    return PushOutcome(Status.QUEUED, retry_in=wait)


def _environment_settling(asset, exc):
    """PingOne answers 403 or 404 for a while after an environment is created: retry then."""
    grace = timedelta(seconds=settings.PORTAL_NEW_ENVIRONMENT_GRACE_SECONDS)
    return exc.status in (403, 404) and asset.environment.created_at > timezone.now() - grace


def _retry_later(asset, holder, exc):
    if asset.attempts >= settings.PORTAL_PUSH_MAX_ATTEMPTS:
        return _fail(asset, exc, note=f"gave up after {asset.attempts} attempts")
    delay = retry_delay(asset.attempts, exc.retry_after)
    asset.transition(
        Status.QUEUED,
        from_status=Status.PUSHING,
        held_by=holder,
        error_code=exc.code,
        error_message=exc.message,
        claimed_by="",
        lease_until=None,
        note=f"attempt {asset.attempts}: {exc}; next try in {delay:.0f} s",
        correlation_id=exc.correlation_id,
    )
    return PushOutcome(Status.QUEUED, retry_in=delay)


def _fail(asset, exc, note=""):
    if asset.transition(
        Status.FAILED,
        from_status=Status.PUSHING,
        claimed_by="",
        lease_until=None,
        error_code=exc.code or "ERROR",
        error_message=exc.message,
        note=note or str(exc),
        correlation_id=exc.correlation_id,
    ):
        notifications.asset_failed(asset)
    return PushOutcome(Status.FAILED)


# --- Deleting from PingOne and promoting --------------------------------------------------


@dataclass(frozen=True)
class DeleteOutcome:
    """Whether the asset is now deleted, and what to tell the admin."""

    deleted: bool
    message: str
    code: str = ""


def delete_from_pingone(asset: Asset, actor: AbstractBaseUser) -> DeleteOutcome:
    """DELETE the live asset's image in PingOne, then mark it deleted (row and history kept).

    PingOne's 404 means the image is already gone: the asset is marked deleted with a note
    saying so. Any other error leaves the asset live and is returned to show.
    """
    if not asset.is_live:
        return DeleteOutcome(False, "Only a live image can be deleted from PingOne.", "conflict")
    # PingOne does not stop a delete of an image a sign-on screen shows: ask it what is used now.
    try:
        uses = [u for u in branding.refresh_usage(asset.environment) if u.image_id == asset.pingone_image_id]
    except pingone.PingOneError as exc:
        return DeleteOutcome(
            False, f"Could not check where the image is used: {exc.code}: {exc.message}", "pingone_error"
        )
    if uses:
        where = "; ".join(
            f"{u.get_slot_display().lower()} of {u.get_kind_display().lower()} “{u.name}”" for u in uses
        )
        return DeleteOutcome(
            False,
            f"The image is in use on sign-on screens: {where}. Put another image there first.",
            "in_use",
        )
    note, correlation_id = "deleted from PingOne", ""
    try:
        correlation_id = pingone_client().delete_image(
            asset.environment.pingone_environment_id, asset.pingone_image_id
        )
    except pingone.NotFound as exc:
        note, correlation_id = "PingOne no longer had this image (404); marked deleted", exc.correlation_id
    except pingone.PingOneError as exc:
        log.warning("Deleting asset %s from PingOne failed: %s", asset.pk, exc)
        return DeleteOutcome(False, f"PingOne refused the delete: {exc.code}: {exc.message}", "pingone_error")
    moved = asset.transition(
        Status.DELETED, from_status=Status.LIVE, actor=actor, note=note, correlation_id=correlation_id
    )
    if not moved:
        return DeleteOutcome(False, "Someone else changed this image first.", "conflict")
    return DeleteOutcome(
        True, "Deleted from PingOne." if "404" not in note else "PingOne no longer had it; marked deleted."
    )


@dataclass(frozen=True)
class PromoteResult:
    """What promoting did for one target environment."""

    environment: str  # the slug asked for
    outcome: str  # "staged", "awaiting_review", "duplicate", "not_allowed" or "refused"
    asset: Asset | None = None
    message: str = ""

    def as_json(self) -> dict:
        return {
            "environment": self.environment,
            "result": self.outcome,
            "asset": self.asset.pk if self.asset else None,
            "message": self.message,
        }


def promote(asset: Asset, actor: AbstractBaseUser, slugs: Iterable[str]) -> list[PromoteResult]:
    """Copy a live asset's clean bytes to other environments, one new asset each, linked to it.

    Each target follows its own review rule and duplicate check; one the user may not upload
    to is answered `not_allowed` (an environment that does not exist, too).
    """
    allowed = {e.slug: e for e in Environment.objects.visible_to(actor)}
    image = _staged_image(asset)
    results = []
    for slug in dict.fromkeys(slugs):
        target = allowed.get(slug)
        if target is None:
            results.append(
                PromoteResult(slug, "not_allowed", message="You may not upload to this environment.")
            )
        elif target.pk == asset.environment_id:
            results.append(
                PromoteResult(slug, "refused", message="The image is already in this environment.")
            )
        elif image is None:
            results.append(PromoteResult(slug, "refused", message="The staged copy of this image is gone."))
        else:
            staged = _stage_clean_image(
                target, actor, asset.filename, image, note=f"promoted from asset {asset.pk}", source=asset
            )
            results.append(_promote_result(slug, staged))
    return results


def _staged_image(asset):
    """The asset's clean bytes from staging, checked against its sha256; None if gone or changed."""
    try:
        with asset.file.open("rb") as staged:
            data = staged.read()
    except (FileNotFoundError, ValueError):
        return None
    image = CleanImage(data, asset.format, asset.width, asset.height, asset.frames)
    return image if image.sha256 == asset.sha256 else None


def _promote_result(slug, staged):
    if staged.outcome == "staged" and staged.asset.is_awaiting_review:
        return PromoteResult(slug, "awaiting_review", staged.asset, staged.message)
    return PromoteResult(slug, staged.outcome, staged.asset, staged.message)


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds before the next attempt: PingOne's Retry-After, else exponential with jitter."""
    if retry_after is not None:
        return min(MAX_RETRY_DELAY, max(1.0, retry_after))
    base = min(MAX_RETRY_DELAY, 2**attempt)
    return base / 2 + random.uniform(0, base / 2)


# --- Recovery ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recovery:
    """What a sweep did."""

    redispatched: int = 0
    requeued: int = 0
    failed: int = 0


def recover_stalled(now: datetime | None = None) -> Recovery:
    """The sweep (every PORTAL_SWEEP_SECONDS from beat, and when a worker starts).

    - An asset whose dispatch failed (broker down) is sent again once the broker answers; one
      queued for STALLED_QUEUED with no attempt (its message lost in the broker) too.
    - A push whose holder stopped beating (a killed or crashed worker), or whose lease ran out,
      goes back to queued and is pushed again, up to PORTAL_MAX_INTERRUPTED_PUSHES times, then
      fails. PingOne may already hold an image from the interrupted attempt and cannot list
      images, so the asset keeps a visible "possible orphan" mark with that attempt's time.
    """
    now = now or timezone.now()
    redispatched = _redispatch(now)
    requeued = failed = 0
    for asset in Asset.objects.filter(status=Status.PUSHING, updated_at__lt=now - CLAIM_GRACE):
        if not _holder_gone(asset, now):
            continue
        if asset.interruptions + 1 > settings.PORTAL_MAX_INTERRUPTED_PUSHES:
            failed += _give_up_interrupted(asset)
        elif _take_back(asset, now):
            requeued += 1
            queue_push(asset.pk)
    return Recovery(redispatched, requeued, failed)


def _redispatch(now):
    undispatched = Asset.objects.filter(status=Status.QUEUED).exclude(dispatch_failed_at=None)
    lost = Asset.objects.filter(
        status=Status.QUEUED, dispatch_failed_at=None, updated_at__lt=now - STALLED_QUEUED
    )
    sent = 0
    for asset_id in [*undispatched.values_list("pk", flat=True), *lost.values_list("pk", flat=True)]:
        # Touch it first, so the next sweep gives this message its full time again.
        if Asset.objects.filter(pk=asset_id, status=Status.QUEUED).update(
            updated_at=now, dispatch_failed_at=None
        ):
            sent += queue_push(asset_id)  # marks it again if the broker still does not answer
    return sent


def _holder_gone(asset, now):
    if asset.lease_until is not None and asset.lease_until < now:
        return True
    return leases.is_alive(asset.claimed_by) is False


def _take_back(asset, now):
    return asset.transition(
        Status.QUEUED,
        from_status=Status.PUSHING,
        held_by=asset.claimed_by,
        claimed_by="",
        lease_until=None,
        interrupted_at=asset.updated_at,
        interruptions=F("interruptions") + 1,
        note=f"the push by {asset.claimed_by or 'a worker'} stopped before PingOne answered; PingOne may "
        "hold an image from it (possible orphan); pushing again",
    )


def _give_up_interrupted(asset):
    if asset.transition(
        Status.FAILED,
        from_status=Status.PUSHING,
        held_by=asset.claimed_by,
        claimed_by="",
        lease_until=None,
        interrupted_at=asset.updated_at,
        error_code="PUSH_INTERRUPTED",
        error_message="Pushes of this image kept stopping before PingOne answered. PingOne may hold "
        "images from them; retry to push it again.",
        note=f"interrupted {asset.interruptions + 1} times; not pushing again on its own",
    ):
        notifications.asset_failed(asset)
        return 1
    return 0
