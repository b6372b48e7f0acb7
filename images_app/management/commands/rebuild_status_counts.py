"""Recount every environment's assets per status into the counters the pages show."""

from django.core.management.base import BaseCommand

from images_app.models import Environment, StatusCount


class Command(BaseCommand):
    help = (
        "Count every environment's assets per status again from the assets table and replace the "
        "kept counters (after a bulk load, a restore, or a change made outside the portal)."
    )

    def handle(self, *args, **options):
        counted = StatusCount.objects.rebuild()
        if options["verbosity"] == 0:
            return
        names = dict(Environment.objects.values_list("pk", "name"))
        for environment_id in sorted({e for e, _ in counted}, key=lambda pk: names.get(pk, "")):
            mine = {s: n for (e, s), n in counted.items() if e == environment_id}
            detail = ", ".join(f"{status} {count}" for status, count in sorted(mine.items()))
            self.stdout.write(f"{names.get(environment_id, environment_id)}: {sum(mine.values())} ({detail})")
        self.stdout.write(self.style.SUCCESS(f"Recounted {sum(counted.values())} assets."))
