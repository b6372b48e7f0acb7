"""Shared fixtures: the emulator over HTTP, users and environments, and the whole portal stack."""

import os
from datetime import timedelta

import pytest
import redis

from tests import images
from tests.emulator_support import EmulatorProcess, free_port
from tests.ids import PRODUCTION, SECRET, STAGING
from tests.portal_stack import PortalStack, emulator_config


def pytest_configure(config):
    """The in-process portal is a local http one in debug mode, as `make run` is; the settings
    default to neither, so the tests say so before pytest-django sets Django up (after this)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
    from django.conf import settings

    settings.INSTALLED_APPS  # noqa: B018  (loads portal.settings now, with the values above)


E2E_PORTAL_PORT = free_port()
# The in-process test client calls itself "testserver".
PORTAL_ORIGINS = [
    "http://testserver",
    f"http://127.0.0.1:{E2E_PORTAL_PORT}",
    f"http://localhost:{E2E_PORTAL_PORT}",
]


IN_PROCESS_CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(scope="session", autouse=True)
def in_process_broker_and_cache():
    """The in-process portal queues to kombu's in-memory broker and caches in memory.

    So the fast tests need no Redis; the end-to-end tests run the real Redis, worker and beat.
    """
    from django.test.utils import override_settings

    from portal.celery import app

    app.conf.broker_url = "memory://"
    with override_settings(
        CACHES=IN_PROCESS_CACHES, PINGONE_RATE_LIMIT_REDIS_URL=None, PORTAL_METRICS_REDIS_URL=None
    ):
        yield


def use_broker(url):
    """Point the in-process portal's Celery app at another broker, forgetting pooled connections."""
    import kombu.pools

    from portal.celery import app

    app.conf.broker_url = url
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_outage():
    """Call it to make the broker refuse connections; the in-memory broker is back afterwards."""
    from portal.celery import app

    previous = app.conf.broker_url
    yield lambda: use_broker("redis://127.0.0.1:1/0")
    use_broker(previous)


class Broker:
    """The in-memory broker's queues, as the in-process portal fills them."""

    def count(self, queue="images"):
        from portal.celery import app

        with app.connection_for_read() as connection:
            return connection.default_channel.queue_declare(queue, passive=False).message_count

    def purge(self):
        from portal.celery import app

        with app.connection_for_write() as connection:
            for queue in ("images", "maintenance", "mail"):
                connection.default_channel.queue_declare(queue)
                connection.default_channel.queue_purge(queue)


@pytest.fixture
def broker():
    """The in-memory broker, emptied for this test."""
    broker = Broker()
    broker.purge()
    yield broker
    broker.purge()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with no cached worker token or health answer."""
    from django.core.cache import cache

    from images_app.clients import forget_clients

    cache.clear()
    forget_clients()  # nor a token kept in the process


@pytest.fixture(scope="session")
def portal_emulator():
    """One emulator for the portal's tests, knowing the portal's callbacks."""
    with EmulatorProcess(config=emulator_config(PORTAL_ORIGINS)) as running:
        yield running


@pytest.fixture
def fresh_emulator(portal_emulator):
    """The portal's emulator with no images, tokens, sessions or faults."""
    portal_emulator.reset()
    yield portal_emulator
    portal_emulator.clear_faults()


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
    production.access_groups.set([branding])
    staging.access_groups.set([branding])
    secret.access_groups.set([secret_team])
    from django.utils import timezone

    # Registered long ago: PingOne's first minutes of a new environment are tested on their own.
    Environment.objects.update(created_at=timezone.now() - timedelta(hours=1))
    for environment in (production, staging, secret):
        environment.refresh_from_db()
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
    """Staged files go to a folder of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def stage(designer, environments, staging_storage):
    """Stage an image the way an upload does and return its asset: stage(slug, data=, name=, user=)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from images_app import services

    def make(slug="production", data=None, name="logo.png", user=None):
        upload = SimpleUploadedFile(name, data or images.png())
        result = services.stage_upload(environments[slug], user or designer, upload)
        assert result.staged, result
        return result.asset

    return make


@pytest.fixture(scope="session")
def stack_redis_url():
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    base, _, db = url.rpartition("/")
    # The db just below the in-process one, so suites run side by side on one Redis never meet.
    stack_url = f"{base}/{max(int(db or 14) - 1, 0)}"
    redis.Redis.from_url(stack_url).flushdb()
    return stack_url


@pytest.fixture(scope="session")
def stack(portal_emulator, stack_redis_url):
    """The portal and a Celery worker as real processes, with their own database and Redis db."""
    running = PortalStack(portal_emulator, E2E_PORTAL_PORT, stack_redis_url).start()
    yield running
    running.stop()


@pytest.fixture
def fresh_stack(stack, fresh_emulator):
    return stack


# --- Browser tests: tests/test_browser*.py, marker `browser` (`make test-browser`), also e2e ---


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.name.startswith("test_browser"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium, headless, shared by one module's tests (never a downloaded browser).

    Per module because Playwright's sync API runs one instance at a time in a thread."""
    from tests.browser_support import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def browser_sign_ins():
    """Each user's signed-in cookies, kept for one module: signing in once per user there is enough
    (not longer: the portal checks a session's groups with PingOne again after 15 minutes)."""
    return {}


@pytest.fixture
def open_page(chromium, stack, browser_sign_ins):
    """open_page(user=None, width=1440): a page in a context of its own, signed in as `user`."""
    from tests.browser_support import WIDTHS, sign_in

    contexts = []

    def open_(user=None, width=1440):
        context = chromium.new_context(
            viewport=WIDTHS[width], storage_state=browser_sign_ins.get(user), base_url=stack.url
        )
        context.set_default_timeout(30_000)  # a loaded machine is slow, never wrong
        contexts.append(context)
        page = context.new_page()
        if user and user not in browser_sign_ins:
            sign_in(page, stack.url, user)
            browser_sign_ins[user] = context.storage_state()
        return page

    yield open_
    for context in contexts:
        context.close()
