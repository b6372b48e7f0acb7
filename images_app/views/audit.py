"""The audit trail for admins: every event, filtered, and the same selection as CSV."""

import csv
from datetime import UTC

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from ..forms import AuditFilterForm
from ..models import AUDIT_SORT, AuditEvent
from ..pagination import BadCursor, Paginator
from ..responses import error_response
from .access import admin_required

PAGE_SIZE = 50

CSV_HEADER = [
    "Time (UTC)",
    "Environment",
    "Asset id",
    "File name",
    "Who",
    "From",
    "To",
    "Note",
    "PingOne Correlation-Id",
]

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@admin_required
def audit(request):
    """The events the filters select, newest first: a page of them, or all as CSV."""
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return error_response(request, 400, "bad_filter", form.error_message())
    events = form.filter(AuditEvent.objects.newest_first())
    if request.GET.get("format") == "csv":
        return _csv_response(events)
    # A bounded count ("more than ...") and a page that reads only its own rows.
    try:
        page = Paginator(events, AUDIT_SORT, PAGE_SIZE).get_page(
            request.GET.get("page"), after=request.GET.get("after"), before=request.GET.get("before")
        )
    except BadCursor as error:
        return error_response(request, 400, "bad_page", str(error))
    return render(request, "images_app/audit.html", {"form": form, "page": page})


class Echo:
    """A file-like object that hands back what is written, for csv.writer to stream through."""

    def write(self, value):
        return value


def _csv_response(events):
    """The events as a CSV download, streamed row by row."""
    writer = csv.writer(Echo())
    filename = f"audit-{timezone.now().astimezone(UTC):%Y%m%d-%H%M%S}.csv"
    return StreamingHttpResponse(
        _csv_lines(writer, events),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _csv_lines(writer, events):
    # The byte order mark makes Excel read the file as UTF-8, not in the local code page.
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    for event in events.iterator(chunk_size=500):
        yield writer.writerow([_safe_cell(value) for value in _csv_row(event)])


def _csv_row(event):
    asset = event.asset
    return [
        f"{event.created_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}",
        event.environment.name,
        asset.pk if asset else "",
        asset.filename if asset else "",
        event.actor_label,
        event.from_label if event.from_status else "",
        event.to_label,
        event.note,
        event.correlation_id,
    ]


def _safe_cell(value):
    """The value as text that a spreadsheet shows rather than evaluates."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
