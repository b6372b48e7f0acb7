"""Every audit event has an environment (a migration of its own: on Postgres, filling a column
and constraining it in one transaction fails on the pending foreign-key checks)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("images_app", "0003_lifecycle")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="environment",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="images_app.environment",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="asset",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="images_app.asset",
            ),
        ),
    ]
