"""The inventory: every asset with the PingOne image id it holds, as CSV or JSON.

PingOne cannot list an environment's images, so this record is the only one there is. The
export streams rows from one server-side cursor and writes each at once: memory stays the
same whatever the number of assets.
"""

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TextIO

from django.utils import timezone

from .models import Asset

FORMATS = ("csv", "json")
FIELDS = (
    "environment",
    "pingone_environment_id",
    "asset_id",
    "filename",
    "status",
    "pingone_image_id",
    "href",
    "sha256",
    "uploaded_by",
    "created_at",
    "pushed_at",
    "updated_at",
)
# Rows fetched from the database at a time.
CHUNK_SIZE = 2000
# A spreadsheet evaluates a cell that starts with one of these; user-given text never should be.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def rows() -> Iterator[dict]:
    """Every asset, by environment and then id, as a dict with FIELDS as keys."""
    assets = Asset.objects.order_by("environment__slug", "id").values_list(
        "environment__slug",
        "environment__pingone_environment_id",
        "id",
        "filename",
        "status",
        "pingone_image_id",
        "targets",
        "sha256",
        "uploaded_by__email",
        "uploaded_by__username",
        "created_at",
        "pingone_created_at",
        "updated_at",
    )
    for (
        slug,
        environment_id,
        asset_id,
        filename,
        status,
        image_id,
        targets,
        sha256,
        email,
        username,
        created_at,
        pushed_at,
        updated_at,
    ) in assets.iterator(chunk_size=CHUNK_SIZE):
        yield {
            "environment": slug,
            "pingone_environment_id": environment_id,
            "asset_id": asset_id,
            "filename": filename,
            "status": status,
            "pingone_image_id": image_id,
            "href": _original_href(targets),
            "sha256": sha256,
            "uploaded_by": email or username or "",
            "created_at": _iso(created_at),
            "pushed_at": _iso(pushed_at),
            "updated_at": _iso(updated_at),
        }


def write_csv(out: TextIO) -> int:
    """Write the inventory as CSV with a header row; return how many assets were written.

    Text a user chose (file names, uploaders) that a spreadsheet would evaluate starts with
    an apostrophe; the JSON export keeps every value exactly.
    """
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows():
        row["filename"] = spreadsheet_safe(row["filename"])
        row["uploaded_by"] = spreadsheet_safe(row["uploaded_by"])
        writer.writerow(row)
        count += 1
    return count


def write_json(out: TextIO) -> int:
    """Write `{"exported_at", "assets": [...], "count"}`, one asset a line; return the count."""
    exported_at = json.dumps(_iso(timezone.now()))
    out.write(f'{{"exported_at": {exported_at},\n "assets": [')
    count = 0
    for row in rows():
        out.write(("\n  " if count == 0 else ",\n  ") + json.dumps(row, ensure_ascii=False))
        count += 1
    out.write(f'\n ],\n "count": {count}}}\n')
    return count


def export(out: TextIO, format: str = "csv") -> int:
    """Write the whole inventory to `out` in `format` ("csv" or "json"); return the count."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    return write_csv(out) if format == "csv" else write_json(out)


def spreadsheet_safe(text: str) -> str:
    """`text` as a spreadsheet shows it rather than evaluates it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _original_href(targets):
    href = ((targets or {}).get("original") or {}).get("href", "") if isinstance(targets, dict) else ""
    return href if isinstance(href, str) else ""


def _iso(when: datetime | None) -> str | None:
    """ISO 8601 in UTC with its zone (2026-11-29T16:04:32.123456+00:00); None when unset."""
    return when.astimezone(UTC).isoformat() if when else None
