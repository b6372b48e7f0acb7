"""Promoted assets know their source; audit events carry their environment (settings changes
have no asset) and PingOne's Correlation-Id."""

import django.db.models.deletion
from django.db import migrations, models


def fill_environments(apps, schema_editor):
    AuditEvent = apps.get_model("images_app", "AuditEvent")
    for event in AuditEvent.objects.filter(environment=None).select_related("asset").iterator():
        event.environment_id = event.asset.environment_id
        event.save(update_fields=["environment"])


class Migration(migrations.Migration):
    dependencies = [("images_app", "0002_access_groups_and_pingone_created_at")]

    operations = [
        migrations.AddField(
            model_name="asset",
            name="source",
            field=models.ForeignKey(
                blank=True,
                help_text="The asset this one was promoted from.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="promotions",
                to="images_app.asset",
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="correlation_id",
            field=models.CharField(
                blank=True,
                help_text="Of the PingOne call that caused the change, for Ping's support.",
                max_length=100,
                verbose_name="PingOne Correlation-Id",
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="environment",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="images_app.environment",
            ),
        ),
        migrations.RunPython(fill_environments, migrations.RunPython.noop),
    ]
