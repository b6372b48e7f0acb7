"""manage.py export_inventory: every asset, with its PingOne image id, as CSV or JSON."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from images_app import services
from images_app.models import Asset, Status
from tests import images
from tests.ids import PRODUCTION

HEADER = (
    "environment,pingone_environment_id,asset_id,filename,status,pingone_image_id,href,sha256,"
    "uploaded_by,created_at,pushed_at,updated_at"
)


@pytest.fixture
def every_status(stage, pingone, admin_user):
    """One asset in each status, across three environments; two of them pushed to the emulator."""

    def png(n):
        return images.png(colour=(n, 10, 10))

    live = stage("production", png(1), "logo.png")
    services.push_asset(live.pk)
    queued = stage("production", png(2), "queued.png")
    awaiting = stage("staging", png(3), "waiting.png")
    rejected = stage("staging", png(4), "off-brand.png")
    services.reject(rejected, admin_user, "off-brand")
    failed = stage("production", png(5), "failed.png")
    Asset.objects.filter(pk=failed.pk).update(status=Status.FAILED, error_code="INVALID_DATA")
    pushing = stage("secret", png(6), "pushing.png", user=admin_user)
    Asset.objects.filter(pk=pushing.pk).update(status=Status.PUSHING)
    deleted = stage("production", png(7), "old.png")
    services.push_asset(deleted.pk)
    deleted.refresh_from_db()
    assert services.delete_from_pingone(deleted, admin_user).deleted
    assets = {a.status: a for a in Asset.objects.all()}
    assert set(assets) == set(Status.values)
    assert {queued.pk, awaiting.pk} <= {a.pk for a in assets.values()}
    return assets


def export(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_inventory", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def as_time(text):
    when = datetime.fromisoformat(text)
    assert when.utcoffset() == timedelta(0), text  # ISO 8601 with its zone, in UTC
    return when


def test_the_csv_export_lists_every_asset_of_every_status_and_environment(every_status, pingone):
    document, summary = export()

    rows = list(csv.DictReader(io.StringIO(document)))
    assert sorted(int(r["asset_id"]) for r in rows) == sorted(Asset.objects.values_list("pk", flat=True))
    assert {r["status"] for r in rows} == set(Status.values)
    assert {r["environment"] for r in rows} == {"production", "staging", "secret"}
    assert ",".join(rows[0]) == HEADER
    assert summary.strip() == f"Exported {len(rows)} assets."

    live = every_status[Status.LIVE]
    (row,) = [r for r in rows if r["status"] == "live"]
    (stored,) = pingone.images(PRODUCTION)  # the deleted one is gone from PingOne
    assert row["asset_id"] == str(live.pk)
    assert row["pingone_environment_id"] == PRODUCTION
    assert (row["filename"], row["pingone_image_id"]) == ("logo.png", stored["id"])
    assert row["href"] == stored["targets"]["original"]["href"]
    assert row["sha256"] == live.sha256 == stored["received_sha256"]
    assert row["uploaded_by"] == "designer@example.com"
    assert as_time(row["created_at"]) == live.created_at
    assert as_time(row["pushed_at"]) == live.pingone_created_at
    assert as_time(row["updated_at"]) == live.updated_at

    # The deleted one keeps the id it had: the record of what once existed in PingOne.
    (gone,) = [r for r in rows if r["status"] == "deleted"]
    assert gone["pingone_image_id"] == every_status[Status.DELETED].pingone_image_id != ""
    (waiting,) = [r for r in rows if r["status"] == "awaiting_review"]
    assert (waiting["pingone_image_id"], waiting["href"], waiting["pushed_at"]) == ("", "", "")
    (elsewhere,) = [r for r in rows if r["environment"] == "secret"]
    assert elsewhere["uploaded_by"] == "admin@example.com"


def test_the_json_export_holds_the_same_assets_with_typed_values(every_status, pingone):
    document, _ = export("--format", "json")

    body = json.loads(document)
    assets = body["assets"]
    assert body["count"] == len(assets) == Asset.objects.count()
    as_time(body["exported_at"])
    assert {a["asset_id"] for a in assets} == set(Asset.objects.values_list("pk", flat=True))
    assert {a["status"] for a in assets} == set(Status.values)
    (live,) = [a for a in assets if a["status"] == "live"]
    assert live["pingone_image_id"] == pingone.images(PRODUCTION)[0]["id"]
    assert as_time(live["pushed_at"]) == every_status[Status.LIVE].pingone_created_at
    (queued,) = [a for a in assets if a["status"] == "queued"]
    assert (queued["pushed_at"], queued["pingone_image_id"]) == (None, "")


def test_the_csv_and_json_exports_agree_row_for_row(every_status):
    rows = list(csv.DictReader(io.StringIO(export()[0])))
    assets = json.loads(export("--format", "json")[0])["assets"]
    assert [{k: "" if v is None else str(v) for k, v in a.items()} for a in assets] == rows


def test_the_export_reads_every_asset_in_one_query(every_status, django_assert_num_queries):
    with django_assert_num_queries(1):
        document, _ = export()
    assert len(document.splitlines()) == 1 + len(Status.values)


def test_an_empty_portal_exports_a_header_and_an_empty_list(db):
    assert (
        export()[0]
        == ",".join(
            ["environment", "pingone_environment_id", "asset_id", "filename", "status", "pingone_image_id"]
            + ["href", "sha256", "uploaded_by", "created_at", "pushed_at", "updated_at"]
        )
        + "\n"
    )
    assert json.loads(export("--format", "json")[0])["assets"] == []


def test_output_writes_the_file_and_nothing_to_standard_output(every_status, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "inventory.json"
    document, summary = export("--format", "json", "--output", str(target))

    assert document == ""
    assert f"to {target}" in summary
    assert json.loads(target.read_text(encoding="utf-8"))["count"] == Asset.objects.count()
    assert [p.name for p in folder.iterdir()] == ["inventory.json"]  # no temporary left


def test_an_output_in_a_missing_folder_is_a_clear_error(db, tmp_path):
    target = tmp_path / "nowhere" / "inventory.csv"
    with pytest.raises(CommandError, match="the folder .*nowhere does not exist"):
        export("--output", str(target))
    assert not target.parent.exists()


def test_an_output_that_cannot_be_written_is_a_clear_error_and_leaves_nothing_behind(stage, tmp_path):
    stage()
    folder = tmp_path / "exports"
    (folder / "inventory.csv").mkdir(parents=True)  # a folder where the file should go
    with pytest.raises(CommandError, match="Cannot write .*inventory.csv: Is a directory"):
        export("--output", str(folder / "inventory.csv"))
    assert [p.name for p in folder.iterdir()] == ["inventory.csv"]


def test_a_file_name_a_spreadsheet_would_evaluate_is_quoted_in_csv_and_exact_in_json(stage):
    stage("production", images.png(), "=HYPERLINK(evil).png")

    (row,) = csv.DictReader(io.StringIO(export()[0]))
    assert row["filename"] == "'=HYPERLINK(evil).png"
    (asset,) = json.loads(export("--format", "json")[0])["assets"]
    assert asset["filename"] == "=HYPERLINK(evil).png"


def test_timestamps_are_utc_whatever_the_time_zone(settings, stage):
    settings.TIME_ZONE = "America/New_York"
    asset = stage()
    (row,) = csv.DictReader(io.StringIO(export()[0]))
    assert row["created_at"].endswith("+00:00")
    assert as_time(row["created_at"]) == asset.created_at.astimezone(UTC)
