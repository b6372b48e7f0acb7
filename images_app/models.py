"""Environments, the assets staged for them, and the audit trail of every status change."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.signals import post_delete
from django.utils import timezone

from .links import id_url, slug_url
from .pagination import Sort, bounded_counts
from .roles import is_portal_admin


def actor_label(user):
    """How the audit trail names someone: their email, else their username; "worker" for none."""
    if user is None:
        return "worker"
    return user.email or user.get_username()


class EnvironmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The environments a user may open: all for admins, else those their groups grant."""
        if not user.is_authenticated:
            return self.none()
        if is_portal_admin(user):
            return self.all()
        # A subquery, not a join: a join repeats an environment once per granting group, and
        # anything counted over the result would be multiplied by that.
        granted = Environment.objects.filter(access_groups__user=user).values("pk")
        return self.filter(pk__in=granted)

    def with_status_counts(self):
        """Set `total`, `count_<status>` and `status_counts`: (status, count) for each Status, in
        Status order, from the kept counters (two queries, whatever the number of assets)."""
        environments = list(self.order_by("name"))
        counts = StatusCount.objects.per_environment([e.pk for e in environments])
        for environment in environments:
            mine = counts.get(environment.pk, {})
            environment.status_counts = [(s.value, mine.get(s.value, 0)) for s in Status]
            for status, count in environment.status_counts:
                setattr(environment, f"count_{status}", count)
            environment.total = sum(count for _, count in environment.status_counts)
        return environments


class Environment(models.Model):
    """A PingOne environment whose images the portal manages."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    pingone_environment_id = models.CharField("PingOne environment id", max_length=64)
    review_required = models.BooleanField(
        default=False, help_text="Uploads wait for an admin's approval before they are pushed."
    )
    access_groups = models.ManyToManyField(
        Group,
        blank=True,
        related_name="environments",
        help_text="Members of these groups may view and upload to this environment.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EnvironmentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_url("images:gallery", self.slug)


class Status(models.TextChoices):
    AWAITING_REVIEW = "awaiting_review", "Awaiting review"
    QUEUED = "queued", "Queued"
    PUSHING = "pushing", "Pushing"
    LIVE = "live", "Live"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected"
    DELETED = "deleted", "Deleted"


PENDING_STATUSES = (Status.AWAITING_REVIEW, Status.QUEUED, Status.PUSHING)
# What an uploader has to act on or wait for, in the order "My uploads" names them.
NEEDS_ATTENTION = (Status.FAILED, Status.REJECTED, Status.AWAITING_REVIEW)
# An asset in one of these no longer blocks a new upload of the same bytes.
RETIRED_STATUSES = (Status.REJECTED, Status.DELETED)

ALLOWED_TRANSITIONS = {
    (Status.AWAITING_REVIEW, Status.QUEUED),
    (Status.AWAITING_REVIEW, Status.REJECTED),
    (Status.QUEUED, Status.PUSHING),
    (Status.PUSHING, Status.LIVE),
    (Status.PUSHING, Status.QUEUED),
    (Status.PUSHING, Status.FAILED),
    (Status.FAILED, Status.QUEUED),
    (Status.LIVE, Status.DELETED),
}


class AssetQuerySet(models.QuerySet):
    def for_environment(self, environment):
        return self.filter(environment=environment)

    def visible_to(self, user):
        return self.filter(environment__in=Environment.objects.visible_to(user))

    def in_environments_open_to(self, user):
        """visible_to(user), with the environments looked up now (one query) and named by id in
        each query that follows: the database plans a list of ids in a fraction of the time it
        takes over the access groups' joins, which tells on a page that reads its assets several
        times (a page of them, and counts)."""
        environments = Environment.objects.visible_to(user).values_list("pk", flat=True)
        return self.filter(environment__in=list(environments))

    def pending(self):
        return self.filter(status__in=PENDING_STATUSES)

    def blocking_duplicates(self):
        return self.exclude(status__in=RETIRED_STATUSES)

    def possible_orphans(self):
        """Assets one of whose pushes was interrupted: PingOne may hold an extra image of them."""
        return self.exclude(interrupted_at=None)

    def with_status(self, status):
        """Only assets in `status`; every asset when it is empty or not a known status."""
        if status in Status.values:
            return self.filter(status=status)
        return self

    def search(self, query):
        """Assets whose filename contains `query`, or whose PingOne id or sha256 is `query`."""
        query = (query or "").strip()
        if not query:
            return self
        return self.filter(
            # PingOne's ids and sha256 are lowercase: exact matches, so their indexes serve them.
            Q(filename__icontains=query) | Q(pingone_image_id=query.lower()) | Q(sha256=query.lower())
        )

    def awaiting_review(self):
        """Assets waiting for an admin, oldest first: the review queue's order."""
        return self.filter(status=Status.AWAITING_REVIEW).order_by("created_at", "id")

    def uploaded_by(self, user):
        return self.filter(uploaded_by=user)

    def with_attention_rank(self):
        """Annotate `attention`: 1 for failed, rejected and waiting uploads, else 0."""
        return self.annotate(attention=attention_rank())

    def needing_attention_first(self):
        """Failed, rejected and waiting uploads first, then the rest; newest first within each."""
        return self.with_attention_rank().order_by(*MY_UPLOADS_ORDER)

    def attention_counts(self):
        """How many are in each status that needs the uploader's attention: {status: count},
        each a bounded count, all in one query (an index on uploader, status and environment
        holds all that each count reads)."""
        counts = bounded_counts([self.filter(status=s) for s in NEEDS_ATTENTION])
        return {s.value: count for s, count in zip(NEEDS_ATTENTION, counts, strict=True)}

    def for_gallery(self, environment, *, status="", query=""):
        """One environment's assets as its gallery lists them: filtered, searched (the order is
        one of GALLERY_SORTS, applied by the gallery's paginator)."""
        return self.for_environment(environment).with_status(status).search(query)


# The orders a gallery can be listed in (`?sort=`), each served by an index per environment
# (and per environment and status). The first is the default.
GALLERY_SORTS = {
    sort.name: sort
    for sort in [
        Sort("newest", "Newest first", ("-created_at", "-id")),
        Sort("oldest", "Oldest first", ("created_at", "id")),
        Sort("name", "Name", ("filename", "id")),
    ]
}
DEFAULT_GALLERY_SORT = GALLERY_SORTS["newest"]
REVIEW_SORT = Sort("oldest", "Oldest first", ("created_at", "id"))
AUDIT_SORT = Sort("newest", "Newest first", ("-created_at", "-id"))


def attention_rank():
    """1 for an upload that needs its uploader's attention, else 0 (an index serves the order)."""
    return Case(
        When(status__in=NEEDS_ATTENTION, then=Value(1)), default=Value(0), output_field=IntegerField()
    )


# "My uploads": those needing attention first, then newest first.
MY_UPLOADS_ORDER = ("-attention", "-created_at", "-id")
MY_UPLOADS_SORT = Sort("attention", "Needing attention first", MY_UPLOADS_ORDER)


class Asset(models.Model):
    """One uploaded image: staged here, then pushed to PingOne, where it gets its id."""

    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="assets")
    file = models.FileField(max_length=300)
    filename = models.CharField(max_length=255, help_text="The name it was uploaded under.")
    sha256 = models.CharField(max_length=64, db_index=True)
    format = models.CharField(max_length=10)
    content_type = models.CharField(max_length=50)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    frames = models.PositiveIntegerField(default=1)
    byte_size = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, db_index=True)
    pingone_image_id = models.CharField(max_length=64, blank=True, db_index=True)
    targets = models.JSONField(default=dict, blank=True)
    pingone_created_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Set when handing the push to the broker failed; the sweep sends it again.
    dispatch_failed_at = models.DateTimeField(null=True, blank=True)
    # Who holds the push (host:pid of the worker process) and until when at the latest.
    claimed_by = models.CharField(max_length=200, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # When a push was interrupted before PingOne answered: PingOne may hold an image from it.
    interrupted_at = models.DateTimeField("push interrupted at", null=True, blank=True)
    interruptions = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="assets"
    )
    source = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promotions",
        help_text="The asset this one was promoted from.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # Each order a page lists assets in, per environment and per environment and status, so a
        # page (at any depth, through keyset pagination) reads only its own rows. Newest and
        # oldest first are one index read forwards or backwards.
        indexes = [
            models.Index(fields=["environment", "-created_at", "-id"], name="asset_gallery_order"),
            models.Index(
                fields=["environment", "status", "-created_at", "-id"], name="asset_gallery_status_order"
            ),
            models.Index(fields=["environment", "filename", "id"], name="asset_gallery_name"),
            models.Index(
                fields=["environment", "status", "filename", "id"], name="asset_gallery_status_name"
            ),
            # The review queue across environments, oldest first.
            models.Index(fields=["status", "created_at", "id"], name="asset_status_order"),
            # "My uploads": needing attention first, then newest; and its counts per status, read
            # from the index alone (it holds the environment, which says whether the uploader may
            # still open the asset).
            models.Index(
                F("uploaded_by"),
                attention_rank().desc(),
                F("created_at").desc(),
                F("id").desc(),
                name="asset_my_uploads_order",
            ),
            models.Index(fields=["uploaded_by", "status", "environment"], name="asset_uploader_status_env"),
        ]
        constraints = [
            # The database, not a check in Python, decides a race between two equal uploads.
            models.UniqueConstraint(
                fields=["environment", "sha256"],
                condition=~Q(status__in=["rejected", "deleted"]),
                name="one_active_asset_per_content",
            )
        ]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        """Save, and keep the status counters right: a new asset counts in its status, and an
        asset saved with another status than it was read with moves between two."""
        adding = self._state.adding
        before = getattr(self, "_saved_status", None)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "status" not in update_fields:
            before = None
        with transaction.atomic():
            super().save(*args, **kwargs)
            if adding:
                StatusCount.objects.shift(self.environment_id, to_status=self.status)
            elif before is not None and before != self.status:
                StatusCount.objects.shift(self.environment_id, from_status=before, to_status=self.status)
        if before is not None or adding:
            self._saved_status = self.status

    def get_absolute_url(self):
        return id_url("images:asset_detail", self.pk)

    @classmethod
    def from_db(cls, db, field_names, values):
        # The status as read, so that save() knows whether it moves the asset between counters.
        asset = super().from_db(db, field_names, values)
        asset._saved_status = asset.__dict__.get("status")
        return asset

    @property
    def is_possible_orphan(self):
        return self.interrupted_at is not None

    @property
    def is_pending(self):
        return self.status in PENDING_STATUSES

    @property
    def is_in_flight(self):
        """On its way to PingOne (queued or pushing): an upload page keeps following it."""
        return self.status in (Status.QUEUED, Status.PUSHING)

    @property
    def is_live(self):
        return self.status == Status.LIVE

    @property
    def is_failed(self):
        return self.status == Status.FAILED

    @property
    def is_awaiting_review(self):
        return self.status == Status.AWAITING_REVIEW

    @property
    def is_rejected(self):
        return self.status == Status.REJECTED

    @property
    def pingone_href(self):
        """PingOne's link to the image as PingOne gave it (what a theme or an icon refers to)."""
        href = (self.targets or {}).get("original", {}).get("href", "")
        return href if isinstance(href, str) else ""

    @property
    def href(self):
        """PingOne's link to the image, when it is one a page may show (see displayable_href)."""
        return displayable_href(self.pingone_href)

    @property
    def thumbnail_url(self):
        """PingOne's copy once live; until then the staged file; "" when neither is left."""
        if self.is_live and self.href:
            return self.href
        if not self.file:
            return ""
        return id_url("images:asset_file", self.pk)

    @property
    def error_text(self):
        """The error as people read it: the admin's reason for a rejection, else code: message."""
        if self.is_rejected:
            return f"Rejected: {self.error_message}"
        return f"{self.error_code}: {self.error_message}" if self.error else ""

    @property
    def error(self):
        if not (self.error_code or self.error_message):
            return None
        return {"code": self.error_code, "message": self.error_message}

    def transition(
        self, to, *, from_status, actor=None, note="", correlation_id="", held_by=None, expect=None, **changes
    ):
        """Move from `from_status` to `to` in one conditional UPDATE, audited; False if the row
        was not in `from_status` (someone else moved it first), or, with `held_by`, if that
        process no longer holds the push, or if a field named in `expect` changed meanwhile."""
        if (from_status, to) not in ALLOWED_TRANSITIONS:
            raise ValueError(f"an asset cannot go from {from_status} to {to}")
        condition = {"claimed_by": held_by} if held_by is not None else {}
        changes = {"status": to, "updated_at": timezone.now(), **changes}
        with transaction.atomic():
            moved = Asset.objects.filter(
                pk=self.pk, status=from_status, **condition, **(expect or {})
            ).update(**changes)
            if moved:
                StatusCount.objects.shift(self.environment_id, from_status=from_status, to_status=to)
                AuditEvent.record(
                    actor,
                    asset=self,
                    from_status=from_status,
                    to_status=to,
                    note=note,
                    correlation_id=correlation_id,
                )
        if moved:
            self._took(changes)
            self._saved_status = self.status
        return bool(moved)

    def _took(self, changes):
        """The instance as the UPDATE left the row: values set as written, and only the fields
        written as expressions (like F("attempts") + 1) read back."""
        computed = [name for name, value in changes.items() if hasattr(value, "resolve_expression")]
        for name, value in changes.items():
            if name not in computed:
                setattr(self, name, value)
        if computed:
            self.refresh_from_db(fields=computed)


def _uncount_deleted_asset(sender, instance, **kwargs):
    """A row removed from the table (the admin site, a cleanup) no longer counts."""
    if instance.__dict__.get("status"):
        StatusCount.objects.shift(instance.environment_id, from_status=instance.status)


post_delete.connect(_uncount_deleted_asset, sender=Asset, dispatch_uid="uncount_deleted_asset")


class StatusCountQuerySet(models.QuerySet):
    def shift(self, environment_id, *, from_status=None, to_status=None):
        """One asset of the environment leaves `from_status` and/or enters `to_status`: relative
        increments (concurrent writers add up), in the caller's transaction."""
        deltas = {}
        if from_status:
            deltas[str(from_status)] = -1
        if to_status:
            deltas[str(to_status)] = deltas.get(str(to_status), 0) + 1
        deltas = {status: delta for status, delta in deltas.items() if delta}
        if not deltas:
            return
        # One UPDATE per row, in the order of the status names: two transactions never wait
        # for each other's rows crosswise (no deadlock).
        for status in sorted(deltas):
            rows = self.filter(environment_id=environment_id, status=status)
            if rows.update(count=F("count") + deltas[status]):
                continue
            # The first asset of this environment in this status: make its row, then count in
            # it. A concurrent writer making the same row is ignored, and both increments land.
            self.bulk_create(
                [StatusCount(environment_id=environment_id, status=status)], ignore_conflicts=True
            )
            rows.update(count=F("count") + deltas[status])

    def per_environment(self, environment_ids):
        """{environment id: {status: count}} for those environments."""
        counts = {}
        for environment_id, status, count in self.filter(environment_id__in=environment_ids).values_list(
            "environment_id", "status", "count"
        ):
            counts.setdefault(environment_id, {})[status] = count
        return counts

    def total(self, status="", environment=None):
        """How many assets are in `status` (every status when it is empty or unknown), in one
        environment or in all."""
        rows = self.filter(status=status) if status in Status.values else self.all()
        if environment is not None:
            rows = rows.filter(environment=environment)
        return rows.aggregate(total=Sum("count"))["total"] or 0

    def rebuild(self):
        """Count every environment's assets per status again from the assets table, and replace
        the counters with the result. Writers wait meanwhile, so none of their changes is lost."""
        from django.db import connection

        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Blocks counter updates (not reads) until the recount commits; a status change
                # that is not yet committed is then added on top of the recount, as it should be.
                with connection.cursor() as cursor:
                    cursor.execute(f"LOCK TABLE {StatusCount._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
            counted = Asset.objects.order_by().values_list("environment_id", "status").annotate(n=Count("pk"))
            self.all().delete()
            self.bulk_create(StatusCount(environment_id=e, status=s, count=n) for e, s, n in counted)
            return {(e, s): n for e, s, n in counted}


class StatusCount(models.Model):
    """How many of an environment's assets are in a status, kept by the code that changes
    statuses (Asset.save for new assets, Asset.transition, deletion), so that pages showing
    counts never count the assets table. `manage.py rebuild_status_counts` recounts."""

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="status_count_rows")
    status = models.CharField(max_length=20, choices=Status.choices)
    count = models.BigIntegerField(default=0)

    objects = StatusCountQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["environment", "status"], name="one_count_per_status")]

    def __str__(self):
        return f"{self.environment_id} {self.status}: {self.count}"


# The actions of events that are no status change: an environment's settings changed, and a
# live asset put on a sign-on screen (a theme, the branding settings or an application).
SETTINGS_CHANGED = "settings"
APPLIED = "applied"
# Reconciliation found that PingOne no longer has a live asset's image (no status change).
MISSING_IN_PINGONE = "missing"
EVENT_ACTIONS = [
    *Status.choices,
    (SETTINGS_CHANGED, "Settings changed"),
    (APPLIED, "Put on a sign-on screen"),
    (MISSING_IN_PINGONE, "Missing in PingOne"),
]


class AuditEventQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(environment__in=Environment.objects.visible_to(user))

    def newest_first(self):
        """Newest first, with what a listing shows of each event fetched in the same query."""
        return self.select_related("environment", "asset").order_by("-created_at", "-id")

    def in_environment(self, environment):
        """Only `environment`'s events; every event when it is None."""
        if environment is None:
            return self
        return self.filter(environment=environment)

    def by_actor(self, text):
        """Events whose actor's email or username, or the recorded label, contains `text`."""
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(
            Q(actor_label__icontains=text)
            | Q(actor__email__icontains=text)
            | Q(actor__username__icontains=text)
        )

    def with_action(self, action):
        """Only events that moved to `action` (a status, or SETTINGS_CHANGED); all when empty."""
        if not action:
            return self
        return self.filter(to_status=action)

    def between(self, start=None, end=None):
        """Events created at or after `start` and before `end` (aware datetimes); None is open."""
        queryset = self
        if start is not None:
            queryset = queryset.filter(created_at__gte=start)
        if end is not None:
            queryset = queryset.filter(created_at__lt=end)
        return queryset


class AuditEvent(models.Model):
    """Who changed what, when, and why: an asset's arrival or status change, or an
    environment's settings (then `asset` is empty and `to_status` is "settings")."""

    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    correlation_id = models.CharField(
        "PingOne Correlation-Id",
        max_length=100,
        blank=True,
        help_text="Of the PingOne call that caused the change, for Ping's support.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # The audit page's order, over all events and per environment.
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="audit_order"),
            models.Index(fields=["environment", "-created_at", "-id"], name="audit_environment_order"),
        ]

    def __str__(self):
        return f"{self.actor_label}: {self.from_status or '-'} -> {self.to_status}"

    @property
    def from_label(self):
        return _status_label(self.from_status)

    @property
    def to_label(self):
        return _status_label(self.to_status)

    @classmethod
    def record(
        cls,
        actor,
        *,
        asset=None,
        environment=None,
        from_status="",
        to_status="",
        note="",
        correlation_id="",
        by="",
    ):
        """The one way an event is written: an asset's arrival (from ""), a status change, or
        (with `environment` and no asset) a change of an environment's settings. `by` names an
        actor that is no user (a command)."""
        return cls.objects.create(
            asset_id=asset.pk if asset else None,
            environment_id=environment.pk if environment else asset.environment_id,
            actor=actor,
            actor_label=by or actor_label(actor),
            from_status=from_status,
            to_status=to_status,
            note=note,
            correlation_id=correlation_id or "",
        )


def _status_label(value):
    return dict(EVENT_ACTIONS).get(value, value or "—")


def displayable_href(href):
    """`href` if a page may show it as a link or image: https, or the emulator's http in
    development (PORTAL_ALLOW_HTTP_IMAGE_LINKS); "" for anything else."""
    if not isinstance(href, str):
        return ""
    allowed = ("https://", "http://") if settings.PORTAL_ALLOW_HTTP_IMAGE_LINKS else ("https://",)
    return href if href.lower().startswith(allowed) else ""


class BrandingUseQuerySet(models.QuerySet):
    def as_used_by(self):
        """The contract's `used_by` entries: kind, id, name, slot."""
        return [use.as_json() for use in self]


class BrandingUse(models.Model):
    """One image slot on PingOne's sign-on screens (a theme's logo or background, the branding
    settings logo, an application's icon) and the image it showed when last read from PingOne."""

    class Kind(models.TextChoices):
        THEME = "theme", "Theme"
        SETTINGS = "settings", "Branding settings"
        APPLICATION = "application", "Application"

    class Slot(models.TextChoices):
        LOGO = "logo", "Logo"
        BACKGROUND = "background", "Background"
        ICON = "icon", "Icon"

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="branding_uses")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.CharField(
        max_length=64, help_text="The theme's or application's PingOne id; the environment's for settings."
    )
    name = models.CharField(max_length=255, blank=True)
    slot = models.CharField(max_length=20, choices=Slot.choices)
    image_id = models.CharField(max_length=64)
    image_href = models.TextField(blank=True)
    # Empty when the image is not one this portal uploaded (or it was deleted from the portal).
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="uses")
    refreshed_at = models.DateTimeField(default=timezone.now)

    objects = BrandingUseQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name", "slot"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.name}: {self.get_slot_display()}"

    @property
    def href(self):
        return displayable_href(self.image_href)

    def as_json(self):
        return {"kind": self.kind, "id": self.object_id, "name": self.name, "slot": self.slot}
