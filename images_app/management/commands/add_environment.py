"""Register (or update) a PingOne environment in the portal."""

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug
from django.db import transaction

from images_app import services
from images_app.models import Environment


class Command(BaseCommand):
    help = "Register or update an environment: SLUG PINGONE_ENVIRONMENT_ID --name NAME"

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("pingone_environment_id")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--groups", default=None, help="Comma-separated group names allowed to upload (replaces the list)"
        )
        parser.add_argument(
            "--review-required", action="store_true", help="Uploads wait for an admin's approval"
        )

    @transaction.atomic
    def handle(self, slug, pingone_environment_id, name, groups, review_required, **options):
        try:
            validate_slug(slug)
        except Exception:
            raise CommandError(f"{slug!r} is not a valid slug (letters, digits, - and _)")
        environment, created = Environment.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "pingone_environment_id": pingone_environment_id.strip()},
            create_defaults={
                "name": name,
                "pingone_environment_id": pingone_environment_id.strip(),
                "review_required": review_required,
            },
        )
        if not created:
            # A change of the review rule is audited, whoever makes it.
            services.set_review_required(environment, None, review_required, by="manage.py add_environment")
        if groups is not None:
            names = [g.strip() for g in groups.split(",") if g.strip()]
            environment.access_groups.set([Group.objects.get_or_create(name=n)[0] for n in names])
        allowed = ", ".join(environment.access_groups.values_list("name", flat=True)) or "admins only"
        self.stdout.write(
            f"{'Added' if created else 'Updated'} environment {environment.slug} "
            f"({environment.pingone_environment_id}); uploads: {allowed}; "
            f"review {'required' if review_required else 'not required'}"
        )
