"""Rename upload_groups to access_groups (they grant viewing too); PingOne's createdAt as a time."""

from django.db import migrations, models
from django.utils.dateparse import parse_datetime


def parse_created_at(apps, schema_editor):
    Asset = apps.get_model("images_app", "Asset")
    for asset in Asset.objects.exclude(pingone_created_at_text="").iterator():
        asset.pingone_created_at = parse_datetime(asset.pingone_created_at_text)
        asset.save(update_fields=["pingone_created_at"])


def format_created_at(apps, schema_editor):
    Asset = apps.get_model("images_app", "Asset")
    for asset in Asset.objects.exclude(pingone_created_at=None).iterator():
        when = asset.pingone_created_at
        asset.pingone_created_at_text = (
            when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
        )
        asset.save(update_fields=["pingone_created_at_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("images_app", "0001_initial"),
    ]

    operations = [
        migrations.RenameField("environment", "upload_groups", "access_groups"),
        migrations.RenameField("asset", "pingone_created_at", "pingone_created_at_text"),
        migrations.AddField(
            model_name="asset",
            name="pingone_created_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(parse_created_at, format_created_at),
        migrations.RemoveField("asset", "pingone_created_at_text"),
    ]
