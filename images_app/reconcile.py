"""Reconciliation: read every live asset back from PingOne and find the images it no longer has.

An image deleted in PingOne's console or by another tool leaves a live asset pointing at
nothing. PingOne answers 404 for it; anything else it answers (a 5xx, a refused token, no
answer at all) means the image could not be checked, which is never taken for missing.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import requests
from django.db.models import QuerySet

from . import pingone, rate_limit
from .clients import pingone_client
from .models import MISSING_IN_PINGONE, Asset, AuditEvent, Environment, Status

# The task name is a contract with running workers; images_app.tasks registers it.
RECONCILE_TASK = "images_app.reconcile"
# Rows fetched from the database at a time.
CHUNK_SIZE = 500
# A 429 is waited out (its Retry-After, shared with every worker) this many times per asset.
RATE_LIMITED_TRIES = 3
# Longest single wait for PingOne's Retry-After, as Ping's own SDK caps it.
MAX_RETRY_AFTER = 30

PRESENT, MISSING, ERROR = "present", "missing", "error"
# Exit codes of `manage.py reconcile`.
EXIT_ALL_PRESENT, EXIT_MISSING, EXIT_NOT_CHECKED = 0, 1, 2


@dataclass(frozen=True)
class Finding:
    """What PingOne said about one live asset."""

    environment: str  # the slug
    asset_id: int
    filename: str
    image_id: str
    outcome: str  # PRESENT, MISSING or ERROR
    message: str = ""
    correlation_id: str = ""
    recorded: bool = False  # with mark: a "missing in PingOne" event was written now

    def describe(self) -> str:
        """One line for an operator: where, which asset, which image, and what was found."""
        where = f"{self.environment} asset {self.asset_id} “{self.filename}” image {self.image_id}"
        if self.outcome == PRESENT:
            return f"present  {where}"
        if self.outcome == MISSING:
            return f"MISSING  {where}: PingOne answered 404{self._correlation()}"
        return f"ERROR    {where}: could not check: {self.message}{self._correlation()}"

    def _correlation(self):
        return f" (Correlation-Id {self.correlation_id})" if self.correlation_id else ""


@dataclass
class Report:
    """The counts of one run, and the assets PingOne no longer has or that could not be checked."""

    checked: int = 0
    missing: list[Finding] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """2 when anything could not be checked (the answer is incomplete), else 1 when
        something is missing, else 0."""
        if self.errors:
            return EXIT_NOT_CHECKED
        return EXIT_MISSING if self.missing else EXIT_ALL_PRESENT

    def summary(self) -> str:
        return f"checked {self.checked}, missing {len(self.missing)}, errors {len(self.errors)}"

    def add(self, finding: Finding) -> None:
        self.checked += 1
        if finding.outcome == MISSING:
            self.missing.append(finding)
        elif finding.outcome == ERROR:
            self.errors.append(finding)


class UnknownEnvironment(LookupError):
    """The slug names no environment registered in the portal."""


def live_assets(environment: Environment | None = None) -> QuerySet:
    """The assets reconciliation reads back: live ones, by environment and id."""
    assets = Asset.objects.filter(status=Status.LIVE).select_related("environment")
    if environment is not None:
        assets = assets.filter(environment=environment)
    return assets.order_by("environment__slug", "id")


def reconcile(
    slug: str | None = None,
    *,
    mark: bool = False,
    by: str = "reconcile",
    on_finding: Callable[[Finding], None] | None = None,
) -> Report:
    """Read each live asset (of the environment `slug`, or all) back from PingOne.

    With `mark`, each asset PingOne no longer has gets a "missing in PingOne" event in its
    history, written by `by`; its status stays live (PingOne's 404 makes a later delete mark it
    deleted). `on_finding` sees every finding as it is made. UnknownEnvironment for a bad slug.
    """
    environment = None
    if slug is not None:
        environment = Environment.objects.filter(slug=slug).first()
        if environment is None:
            raise UnknownEnvironment(slug)
    client = pingone_client()
    report = Report()
    probed, problem = None, None
    for asset in live_assets(environment).iterator(chunk_size=CHUNK_SIZE):
        if asset.environment_id != probed:  # assets come environment by environment
            probed, problem = asset.environment_id, environment_problem(client, asset.environment)
        finding = check(client, asset) if problem is None else _finding(asset, ERROR, problem)
        if finding.outcome == MISSING and mark:
            finding = _record_missing(asset, finding, by)
        report.add(finding)
        if on_finding is not None:
            on_finding(finding)
    return report


def environment_problem(client: pingone.PingOneClient, environment: Environment) -> str | None:
    """Why none of the environment's images can be checked, or None.

    PingOne answers 404 for every image of an environment it does not know, or one the worker
    app has no role on: that is a configuration problem, not a set of deleted images. Any other
    failure here is left to each image's own check to report.
    """
    rate_limit.wait_for_place()
    try:
        client.read_branding_settings(environment.pingone_environment_id)
    except pingone.NotFound:
        return (
            f"PingOne does not know environment {environment.pingone_environment_id}, "
            "or the worker app has no role on it"
        )
    except (pingone.PingOneError, requests.RequestException):
        return None
    return None


def check(client: pingone.PingOneClient, asset: Asset) -> Finding:
    """Ask PingOne for the asset's image, within the shared request budget."""
    if not asset.pingone_image_id:
        return _finding(asset, ERROR, "the asset is live but has no PingOne image id")
    for attempt in range(1, RATE_LIMITED_TRIES + 1):
        rate_limit.wait_for_place()
        try:
            image = client.read_image(asset.environment.pingone_environment_id, asset.pingone_image_id)
        except pingone.NotFound as exc:
            return _finding(asset, MISSING, correlation_id=exc.correlation_id)
        except pingone.PingOneError as exc:
            if exc.status == 429 and attempt < RATE_LIMITED_TRIES:
                _wait_out_rate_limit(exc)
                continue
            return _finding(asset, ERROR, str(exc), exc.correlation_id)
        except requests.RequestException as exc:  # a malformed API URL, say: not PingOne's answer
            return _finding(asset, ERROR, f"{type(exc).__name__}: {exc}")
        return _finding(asset, PRESENT, correlation_id=image.correlation_id)
    raise AssertionError("unreachable")


def _finding(asset, outcome, message="", correlation_id=""):
    return Finding(
        environment=asset.environment.slug,
        asset_id=asset.pk,
        filename=asset.filename,
        image_id=asset.pingone_image_id,
        outcome=outcome,
        message=message,
        correlation_id=correlation_id,
    )


def _wait_out_rate_limit(exc):
    """PingOne said 429: every worker pauses for its Retry-After, and so does this run."""
    wait = min(exc.retry_after or 1, MAX_RETRY_AFTER)
    rate_limit.pause(wait)
    time.sleep(wait)


def _record_missing(asset, finding, by):
    """Write the asset's "missing in PingOne" event, unless its newest event already says so."""
    newest = asset.events.order_by("-created_at", "-id").values_list("to_status", flat=True).first()
    if newest == MISSING_IN_PINGONE:
        return finding
    AuditEvent.record(
        None,
        asset=asset,
        from_status=asset.status,
        to_status=MISSING_IN_PINGONE,
        note=f"PingOne answered 404 for image {asset.pingone_image_id}: deleted outside the portal",
        correlation_id=finding.correlation_id,
        by=by,
    )
    return replace(finding, recorded=True)
