"""Shared fixtures: the emulator over HTTP, users and environments, and the whole portal stack."""

import os

import pytest
import redis

from tests.emulator_support import EmulatorProcess, free_port
from tests.portal_stack import (
    PRODUCTION,
    SECRET,
    STAGING,
    PortalStack,
    emulator_config,
)

E2E_PORTAL_PORT = free_port()
# The in-process test client calls itself "testserver".
PORTAL_ORIGINS = [
    "http://testserver",
    f"http://127.0.0.1:{E2E_PORTAL_PORT}",
    f"http://localhost:{E2E_PORTAL_PORT}",
]


@pytest.fixture(scope="session")
def emulator(default_emulator):
    """One emulator for the portal's tests, knowing the portal's callbacks."""
    with EmulatorProcess(config=emulator_config(default_emulator.config, PORTAL_ORIGINS)) as running:
        yield running


@pytest.fixture(scope="session")
def default_emulator():
    """An emulator with its default configuration, as `make run` starts it."""
    with EmulatorProcess() as running:
        yield running


@pytest.fixture
def fresh_emulator(emulator):
    """The session's emulator with no images, tokens, sessions or faults."""
    emulator.reset()
    yield emulator
    emulator.clear_faults()


@pytest.fixture
def pingone(settings, fresh_emulator):
    """Point the in-process portal at the emulator."""
    settings.PINGONE_AUTH_BASE_URL = fresh_emulator.base_url
    settings.PINGONE_API_BASE_URL = fresh_emulator.api_url
    settings.OIDC_SERVER_METADATA_URL = None
    return fresh_emulator


@pytest.fixture
def environments(db):
    from django.contrib.auth.models import Group

    from images_app.models import Environment

    branding, _ = Group.objects.get_or_create(name="Branding")
    secret_team, _ = Group.objects.get_or_create(name="Secret Team")
    production = Environment.objects.create(
        name="Production", slug="production", pingone_environment_id=PRODUCTION
    )
    staging = Environment.objects.create(
        name="Staging", slug="staging", pingone_environment_id=STAGING, review_required=True
    )
    secret = Environment.objects.create(name="Secret", slug="secret", pingone_environment_id=SECRET)
    production.upload_groups.set([branding])
    staging.upload_groups.set([branding])
    secret.upload_groups.set([secret_team])
    return {"production": production, "staging": staging, "secret": secret}


@pytest.fixture
def make_user(db):
    from django.contrib.auth.models import Group, User

    def make(email, groups=()):
        user = User.objects.create(username=f"sub-{email}", email=email)
        user.groups.set([Group.objects.get_or_create(name=g)[0] for g in groups])
        return user

    return make


@pytest.fixture
def designer(make_user):
    return make_user("designer@example.com", ["Branding"])


@pytest.fixture
def admin_user(make_user):
    return make_user("admin@example.com", ["Image Portal Admins"])


@pytest.fixture
def outsider(make_user):
    return make_user("outsider@example.com")


@pytest.fixture
def staging_storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session")
def stack_redis_url():
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    base, _, _ = url.rpartition("/")
    stack_url = f"{base}/13"
    redis.Redis.from_url(stack_url).flushdb()
    return stack_url


@pytest.fixture(scope="session")
def stack(emulator, stack_redis_url):
    """The portal and a Celery worker as real processes, with their own database and Redis db."""
    running = PortalStack(emulator, E2E_PORTAL_PORT, stack_redis_url).start()
    yield running
    running.stop()


@pytest.fixture
def fresh_stack(stack, fresh_emulator):
    return stack
