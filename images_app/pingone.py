"""A small client for PingOne's Images and branding APIs, and the worker token it uses.

It knows nothing about Django: give it base URLs, credentials and a cache with get/set/delete.
"""

import email.utils
import hashlib
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from . import log_context

log = logging.getLogger(__name__)

# Ping's guidance: these are worth another try later; other 4xx are not.
TRANSIENT_STATUSES = {408, 429, 500, 502, 503, 504}
# Fetch a new token this long before the cached one expires.
TOKEN_EXPIRY_MARGIN = 60
# A process keeps the token it read from the shared cache this long before asking again: less
# than the margin, so a token kept here is still good for at least half a minute.
TOKEN_KEPT_IN_PROCESS = 30


class PingOneError(Exception):
    """An answer from PingOne (or the lack of one) that is not the success we asked for."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        details: list | None = None,
        retry_after: float | None = None,
        correlation_id: str = "",
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details = details or []
        self.retry_after = retry_after
        self.correlation_id = correlation_id

    def __str__(self):
        status = f"{self.status} " if self.status else ""
        return f"{status}{self.code}: {self.message}"


class RetryLater(PingOneError):
    """Transient: rate limited, a server error, a timeout or a dropped connection."""


class GiveUp(PingOneError):
    """Permanent: the same request will fail the same way (bad data, no permission, not found)."""


class NotFound(GiveUp):
    """The environment or image does not exist (or is not visible to the worker app)."""


@dataclass(frozen=True)
class ImageTarget:
    id: str
    width: int
    height: int
    type: str
    href: str


@dataclass(frozen=True)
class PingOneImage:
    id: str
    environment_id: str
    created_at: datetime | None
    targets: dict = field(default_factory=dict)
    # PingOne's Correlation-Id of the call that returned this image, for its support.
    correlation_id: str = field(default="", compare=False)

    @property
    def original(self):
        return self.targets.get("original")

    def targets_as_json(self) -> dict:
        return {
            name: {"id": t.id, "width": t.width, "height": t.height, "type": t.type, "href": t.href}
            for name, t in self.targets.items()
        }

    @classmethod
    def from_body(cls, body: dict, correlation_id: str = "") -> "PingOneImage":
        """Read PingOne's image JSON; GiveUp if it lacks the id or the original target."""
        try:
            targets = {
                name: ImageTarget(
                    id=t.get("id", name),
                    width=int(t["width"]),
                    height=int(t["height"]),
                    type=t.get("type", ""),
                    href=t["href"],
                )
                for name, t in body["targets"].items()
            }
            if "original" not in targets or not body["id"]:
                raise KeyError("original")
            return cls(
                id=body["id"],
                environment_id=(body.get("environment") or {}).get("id", ""),
                created_at=parse_timestamp(body.get("createdAt")),
                targets=targets,
                correlation_id=correlation_id,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise GiveUp("PingOne's answer did not describe an image.", code="UNEXPECTED_RESPONSE")


def parse_timestamp(value: str | None) -> datetime | None:
    """PingOne's `createdAt` (like 2020-02-27T19:49:36.457Z) as an aware datetime; None if absent."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_from_response(response: requests.Response) -> PingOneError:
    """Turn an unsuccessful response into RetryLater, NotFound or GiveUp with PingOne's details."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("code"):
        code, message = body["code"], body.get("message") or response.reason
        details = body.get("details") or []
    else:
        code = f"HTTP_{response.status_code}"
        message = (response.text or response.reason or "").strip()[:300] or "No error body."
        details = []
    if response.status_code in TRANSIENT_STATUSES:
        cls = RetryLater
    elif response.status_code == 404:
        cls = NotFound
    else:
        cls = GiveUp
    return cls(
        message,
        status=response.status_code,
        code=code,
        details=details,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
        correlation_id=response.headers.get("Correlation-Id", ""),
    )


class TokenCache(Protocol):
    """Where the token is shared: Django's cache fits, as does anything with these three."""

    def get(self, key: str) -> str | bytes | None: ...
    def set(self, key: str, value: str, timeout: int) -> object: ...
    def delete(self, key: str) -> object: ...


class WorkerToken:
    """The worker app's client-credentials access token, shared through a cache until it expires."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        cache: TokenCache,
        timeout: tuple[float, float] = (5, 30),
    ):
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.cache = cache
        self.timeout = timeout
        digest = hashlib.sha256(f"{token_url}|{client_id}".encode()).hexdigest()[:24]
        self.cache_key = f"pingone:worker-token:{digest}"
        self._kept = ("", 0.0)  # the token and the time.monotonic() it is kept until

    def get(self) -> str:
        token, until = self._kept
        if token and time.monotonic() < until:
            return token  # no round trip to the cache on every request
        cached = self.cache.get(self.cache_key)
        if cached:
            token = cached.decode() if isinstance(cached, bytes) else cached
            self._keep(token, TOKEN_KEPT_IN_PROCESS)
            return token
        return self.fetch()

    def _keep(self, token, seconds):
        self._kept = (token, time.monotonic() + seconds)

    def fetch(self) -> str:
        session = OAuth2Session(
            self.client_id, self._client_secret, token_endpoint_auth_method="client_secret_basic"
        )
        session.hooks["response"].append(log_context.log_pingone_response)
        try:
            token = session.fetch_token(self.token_url, grant_type="client_credentials", timeout=self.timeout)
        except OAuthError as exc:
            raise GiveUp(
                f"The worker app could not get a token: {exc.description or exc.error}",
                code=exc.error or "TOKEN_REFUSED",
            )
        except requests.RequestException as exc:
            raise RetryLater(
                f"The token endpoint did not answer: {type(exc).__name__}", code="TOKEN_UNREACHABLE"
            )
        finally:
            session.close()
        access_token = token["access_token"]
        ttl = int(token.get("expires_in") or 0) - TOKEN_EXPIRY_MARGIN
        if ttl > 0:
            self.cache.set(self.cache_key, access_token, ttl)
            self._keep(access_token, min(ttl, TOKEN_KEPT_IN_PROCESS))
        return access_token

    def forget(self) -> None:
        self._kept = ("", 0.0)
        self.cache.delete(self.cache_key)


def _json(response):
    try:
        return response.json()
    except ValueError:
        raise GiveUp(
            "PingOne's answer was not JSON.",
            status=response.status_code,
            code="UNEXPECTED_RESPONSE",
            correlation_id=response.headers.get("Correlation-Id", ""),
        )


@dataclass(frozen=True)
class Change:
    """PingOne's answer to a PUT, and its Correlation-Id."""

    body: dict
    correlation_id: str = ""


# Fields PingOne adds to what it returns; they are not part of what a PUT sends.
READ_ONLY_FIELDS = ("_links", "_embedded")


def writable(body: dict) -> dict:
    """The object as a PUT sends it back: everything read, less PingOne's links."""
    return {key: value for key, value in body.items() if key not in READ_ONLY_FIELDS}


def keep_alive_session(base_url: str) -> requests.Session:
    """A session that keeps its connections open, with the proxy and CA settings of the
    environment (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE) read once: requests otherwise reads
    them again on every request, which cost more CPU than the rest of the call."""
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False
    return session


class PingOneClient:
    """The Images API (create_image, read_image, delete_image) and the branding objects that
    use images (themes, branding settings, applications) under `{api_base_url}/environments/...`.

    Branding objects travel as PingOne's JSON (dicts), so every field, unknown ones included,
    goes back as it came: PingOne's PUT replaces the whole object.
    """

    def __init__(
        self,
        api_base_url: str,
        token: WorkerToken,
        timeout: tuple[float, float] = (5, 30),
        session: requests.Session | None = None,
    ):
        self.api_base_url = api_base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.http = session or keep_alive_session(self.api_base_url)

    def create_image(
        self, environment_id: str, data: bytes, content_type: str, filename: str
    ) -> PingOneImage:
        """POST the bytes as a new image; PingOne's answer as a PingOneImage."""
        response = self._send(
            "POST",
            f"/environments/{environment_id}/images",
            data=data,
            headers={
                "Content-Type": content_type,
                "Content-Disposition": f"attachment; filename={filename}",
            },
        )
        return PingOneImage.from_body(_json(response), response.headers.get("Correlation-Id", ""))

    def read_image(self, environment_id: str, image_id: str) -> PingOneImage:
        """GET one image; NotFound when PingOne has no such image."""
        response = self._send("GET", f"/environments/{environment_id}/images/{image_id}")
        return PingOneImage.from_body(_json(response), response.headers.get("Correlation-Id", ""))

    def delete_image(self, environment_id: str, image_id: str) -> str:
        """DELETE one image and return PingOne's Correlation-Id; NotFound when it is already gone."""
        response = self._send("DELETE", f"/environments/{environment_id}/images/{image_id}")
        return response.headers.get("Correlation-Id", "")

    # --- branding ---------------------------------------------------------------------------

    def list_themes(self, environment_id: str) -> list[dict]:
        """Every theme of the environment, the active one with `default: true`."""
        body = _json(self._send("GET", f"/environments/{environment_id}/themes"))
        return list((body.get("_embedded") or {}).get("themes") or [])

    def read_theme(self, environment_id: str, theme_id: str) -> dict:
        return _json(self._send("GET", f"/environments/{environment_id}/themes/{theme_id}"))

    def replace_theme(self, environment_id: str, theme_id: str, theme: dict) -> Change:
        """PUT the whole theme (as read, with changes); PingOne's answer and Correlation-Id."""
        return self._put(f"/environments/{environment_id}/themes/{theme_id}", theme)

    def set_active_theme(self, environment_id: str, theme_id: str) -> Change:
        """Make this theme the one sign-on screens use."""
        return self._put(f"/environments/{environment_id}/themes/{theme_id}/default", {"default": True})

    def read_branding_settings(self, environment_id: str) -> dict:
        return _json(self._send("GET", f"/environments/{environment_id}/brandingSettings"))

    def replace_branding_settings(self, environment_id: str, settings: dict) -> Change:
        return self._put(f"/environments/{environment_id}/brandingSettings", settings)

    def list_applications(self, environment_id: str) -> list[dict]:
        body = _json(self._send("GET", f"/environments/{environment_id}/applications"))
        return list((body.get("_embedded") or {}).get("applications") or [])

    def read_application(self, environment_id: str, application_id: str) -> dict:
        return _json(self._send("GET", f"/environments/{environment_id}/applications/{application_id}"))

    def replace_application(self, environment_id: str, application_id: str, application: dict) -> Change:
        return self._put(f"/environments/{environment_id}/applications/{application_id}", application)

    def _put(self, path, body):
        response = self._send("PUT", path, json=writable(body))
        return Change(_json(response), response.headers.get("Correlation-Id", ""))

    def _send(self, method, path, headers=None, **kwargs):
        url = f"{self.api_base_url}{path}"
        for attempt in (1, 2):
            all_headers = {"Authorization": f"Bearer {self.token.get()}", **(headers or {})}
            try:
                response = log_context.call_pingone(
                    self.http.request, method, url, headers=all_headers, timeout=self.timeout, **kwargs
                )
            except requests.Timeout as exc:
                raise RetryLater(f"PingOne did not answer in time ({type(exc).__name__}).", code="TIMEOUT")
            except requests.ConnectionError as exc:
                raise RetryLater(f"Could not reach PingOne ({type(exc).__name__}).", code="CONNECTION_ERROR")
            if response.status_code == 401 and attempt == 1:
                # The cached token may have been revoked or expired early: fetch one more.
                self.token.forget()
                continue
            if response.ok:
                return response
            error = error_from_response(response)
            log.warning(
                "PingOne %s %s answered %s (Correlation-Id %s)",
                method,
                path,
                error,
                error.correlation_id or "-",
            )
            raise error
        raise AssertionError("unreachable")
