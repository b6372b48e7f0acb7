"""Read every live asset back from PingOne and report the images PingOne no longer has."""

from django.core.management.base import BaseCommand, CommandError

from images_app import reconcile


class Command(BaseCommand):
    help = (
        "Read each live asset back from PingOne (GET .../images/{id}) and report those it no longer "
        "has. Exit code: 0 all present, 1 some missing, 2 some could not be checked."
    )

    def add_arguments(self, parser):
        parser.add_argument("--environment", metavar="SLUG", help="Only this environment's assets")
        parser.add_argument(
            "--mark", action="store_true", help="Record 'missing in PingOne' in each missing asset's history"
        )

    def handle(self, environment, mark, **options):
        verbose = options["verbosity"] > 1

        def show(finding):
            if finding.outcome != reconcile.PRESENT or verbose:
                recorded = " (recorded in its history)" if finding.recorded else ""
                self.stdout.write(finding.describe() + recorded)

        try:
            report = reconcile.reconcile(environment, mark=mark, by="manage.py reconcile", on_finding=show)
        except reconcile.UnknownEnvironment:
            raise CommandError(
                f"No environment {environment!r} is registered in the portal "
                "(manage.py add_environment registers one).",
                returncode=reconcile.EXIT_NOT_CHECKED,
            )
        self.stdout.write(report.summary())
        if report.exit_code:
            raise SystemExit(report.exit_code)
