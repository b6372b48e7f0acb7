"""How the pages show sizes, times, people and statuses, the same way on every page."""

from django import template
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.html import format_html

from ..models import Asset, Status, actor_label

register = template.Library()

STATUS_LABELS = dict(Status.choices)


@register.filter
def file_size(value):
    """Bytes in the decimal units PingOne's limit is given in: "1.9 MB", "640 KB", "512 bytes"."""
    try:
        size = int(value)
    except (TypeError, ValueError):
        return ""
    if size < 1000:
        return f"{size} byte{'' if size == 1 else 's'}"
    amount, unit = (size / 1_000_000, "MB") if size >= 999_500 else (size / 1000, "KB")
    text = f"{amount:.1f}" if amount < 10 or unit == "MB" else f"{amount:.0f}"
    return f"{text.removesuffix('.0')} {unit}"


@register.filter
def person(user):
    """Who someone is on every page: the same label the audit trail records (email, else username)."""
    if user is None:
        return "—"
    return actor_label(user)


@register.filter
def status_label(value):
    """A status as people read it ("Awaiting review"), never its slug."""
    return STATUS_LABELS.get(value, value)


@register.filter
def when(moment):
    """A moment to the second with its zone, in the portal's time zone, as a <time> element."""
    if not moment:
        return "—"
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    iso = local.isoformat()
    # Shown as the date filter's "Y-m-d H:i:s T" would show it, read off the ISO text: the filter
    # parses its format on every call, and a page of cards shows dozens of moments.
    return format_html(
        '<time datetime="{}" title="{}">{} {} {}</time>',
        iso,
        local.isoformat(timespec="milliseconds"),
        iso[:10],
        iso[11:19],
        zone_abbreviation(local),
    )


def zone_abbreviation(local):
    """The zone's abbreviation ("UTC", "CEST"), as the date filter's "T" gives it: the default
    time zone's for a naive moment, and none for a wall time that a clock change repeats or skips."""
    zone = local.tzinfo or timezone.get_default_timezone()
    if zone.utcoffset(local.replace(fold=not local.fold)) != zone.utcoffset(local):
        return ""
    return str(zone.tzname(local))


@register.filter
def version(asset):
    """Changes whenever the asset's drawing may: a page swaps a fetched fragment in only when it differs.

    Not the time alone: a status written without touching updated_at still counts."""
    return f"{asset.updated_at.timestamp():.6f}-{asset.status}-{asset.attempts}"


@register.simple_tag
def status_badge(status):
    """The status badge: one look for a status on every page. Built here rather than from a
    template of its own: every card has one, and a template costs several times more to draw."""
    return format_html(
        '<span class="badge status-{}" data-field="status">{}</span>', status, status_label(status)
    )


@register.inclusion_tag("images_app/_attention_notice.html", takes_context=True)
def uploads_needing_attention(context):
    """The signed-in user's failed and rejected uploads, for a notice that outlives the upload page."""
    user = context["request"].user
    counts = Asset.objects.uploaded_by(user).visible_to(user).attention_counts()
    failed, rejected = counts[Status.FAILED.value], counts[Status.REJECTED.value]
    notes = []
    if failed:
        notes.append((Status.FAILED.value, f"{failed} of your uploads failed"))
    if rejected:
        notes.append(
            (Status.REJECTED.value, f"{rejected} of your uploads {pluralize(rejected, 'was,were')} rejected")
        )
    return {"notes": notes}
