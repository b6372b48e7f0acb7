"""The PingOne client as this portal's settings configure it: one per process and configuration,
so pushes reuse one HTTP session (keep-alive: no new TCP and TLS handshake per image)."""

import functools

from django.conf import settings
from django.core.cache import cache

from . import pingone


def pingone_client(timeout: tuple[float, float] | None = None) -> pingone.PingOneClient:
    """A client for the configured region and worker app; the token is shared through Django's
    cache (Redis), so every worker and web process uses one token until it expires."""
    return _client(
        settings.PINGONE_AUTH_BASE_URL,
        settings.PINGONE_API_BASE_URL,
        settings.PINGONE_WORKER_ENVIRONMENT_ID,
        settings.PINGONE_WORKER_CLIENT_ID,
        settings.PINGONE_WORKER_CLIENT_SECRET,
        tuple(timeout or settings.PINGONE_TIMEOUT),
    )


@functools.lru_cache(maxsize=8)
def _client(auth_base_url, api_base_url, worker_environment_id, client_id, client_secret, timeout):
    token = pingone.WorkerToken(
        f"{auth_base_url}/{worker_environment_id}/as/token",
        client_id,
        client_secret,
        cache=cache,
        timeout=settings.PINGONE_TIMEOUT,
    )
    return pingone.PingOneClient(api_base_url, token, timeout=timeout)


def forget_clients() -> None:
    """Drop this process's clients, with the tokens and connections they keep."""
    _client.cache_clear()
