"""The add_environment management command."""

import pytest
from django.core.management import CommandError, call_command

from images_app.models import AuditEvent, Environment


@pytest.mark.django_db
def test_add_environment_creates_and_then_updates_by_slug():
    call_command("add_environment", "prod", "env-1", "--name", "Production", "--groups", "Branding, Web")
    env = Environment.objects.get(slug="prod")
    assert (env.name, env.pingone_environment_id, env.review_required) == ("Production", "env-1", False)
    assert sorted(env.access_groups.values_list("name", flat=True)) == ["Branding", "Web"]

    call_command("add_environment", "prod", "env-2", "--name", "Prod", "--review-required", "--groups", "Web")
    env.refresh_from_db()
    assert (env.name, env.pingone_environment_id, env.review_required) == ("Prod", "env-2", True)
    assert list(env.access_groups.values_list("name", flat=True)) == ["Web"]
    assert Environment.objects.count() == 1
    (event,) = AuditEvent.objects.filter(environment=env)
    assert (event.to_status, event.note, event.actor_label) == (
        "settings",
        "review turned on",
        "manage.py add_environment",
    )


@pytest.mark.django_db
def test_add_environment_refuses_a_bad_slug():
    with pytest.raises(CommandError):
        call_command("add_environment", "not a slug", "env-1", "--name", "X")
