"""The PingOne client as this portal's settings configure it."""

from django.conf import settings
from django.core.cache import cache

from . import pingone


def pingone_client(timeout: tuple[float, float] | None = None) -> pingone.PingOneClient:
    """A client for the configured region and worker app; the token is shared through Django's
    cache (Redis), so every worker and web process uses one token until it expires."""
    token = pingone.WorkerToken(
        f"{settings.PINGONE_AUTH_BASE_URL}/{settings.PINGONE_WORKER_ENVIRONMENT_ID}/as/token",
        settings.PINGONE_WORKER_CLIENT_ID,
        settings.PINGONE_WORKER_CLIENT_SECRET,
        cache=cache,
        timeout=settings.PINGONE_TIMEOUT,
    )
    return pingone.PingOneClient(
        settings.PINGONE_API_BASE_URL, token, timeout=timeout or settings.PINGONE_TIMEOUT
    )
