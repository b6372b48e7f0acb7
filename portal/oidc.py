"""Sign-in with OpenID Connect: the authlib client built from settings, syncing users, and
re-checking their groups with the provider as sessions age."""

import functools
import hashlib
import logging
import time

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)

# PingOne replaces a multi-valued claim of more than 25 values with this string.
CLAIM_TOO_LARGE = "[SIZE_LIMIT_EXCEEDED]"

# What a signed-in session keeps from PingOne: sign-out needs the ID token, the re-check a
# refresh token (or, from an app without the refresh grant, the access token).
ID_TOKEN_KEY = "oidc_id_token"
REFRESH_TOKEN_KEY = "oidc_refresh_token"
ACCESS_TOKEN_KEY = "oidc_access_token"
CHECKED_AT_KEY = "oidc_groups_checked_at"
RETRY_AT_KEY = "oidc_groups_retry_at"

# After PingOne could not be reached, the session's groups stand this long before the next try.
UNREACHABLE_BACKOFF_SECONDS = 60
# Longer than a re-check can take (two calls within PINGONE_TIMEOUT), so a concurrent request of
# the same session never spends the refresh token the first one is rolling.
RECHECK_LOCK_SECONDS = 90


class RecheckRefused(Exception):
    """PingOne no longer vouches for the session (or it holds nothing to ask with)."""


def oidc_client():
    """The registered OIDC client for the current settings (tests change them)."""
    metadata_url = settings.OIDC_SERVER_METADATA_URL or (
        f"{settings.PINGONE_AUTH_BASE_URL}/{settings.PINGONE_OIDC_ENVIRONMENT_ID}"
        "/as/.well-known/openid-configuration"
    )
    return _client_for(
        metadata_url,
        settings.PINGONE_OIDC_CLIENT_ID,
        settings.PINGONE_OIDC_CLIENT_SECRET,
    )


@functools.lru_cache(maxsize=8)
def _client_for(metadata_url, client_id, client_secret):
    # A fresh registry per configuration: re-registering a name would keep the old client.
    registry = OAuth()
    return registry.register(
        "pingone",
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=metadata_url,
        client_kwargs={
            "scope": "openid profile email",
            "code_challenge_method": "S256",
            # authlib's requests session takes its timeout as `default_timeout` (`timeout` is ignored).
            "default_timeout": settings.PINGONE_TIMEOUT,
        },
    )


def groups_from(claims, fetch_userinfo):
    """The user's group names: the ID token's claim, or userinfo when it is missing or cut."""
    groups = claims.get("groups")
    if not isinstance(groups, list):
        groups = fetch_userinfo().get("groups")
    if isinstance(groups, str):
        groups = [] if groups == CLAIM_TOO_LARGE else [groups]
    return sorted({str(g) for g in (groups or []) if str(g).strip()})


@transaction.atomic
def sync_user(claims, groups):
    """Find or create the user by `sub`, refresh name and email, and mirror their groups."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=claims["sub"][:150])
    user.email = claims.get("email") or ""
    user.first_name = (claims.get("given_name") or "")[:150]
    user.last_name = (claims.get("family_name") or "")[:150]
    if not (user.first_name or user.last_name) and claims.get("name"):
        user.first_name = claims["name"][:150]
    # A new hash at every sign-in would end the user's other sessions (Django ties them to it).
    if created:
        user.set_unusable_password()
    user.save()
    mirror_groups(user, groups)
    return user


@transaction.atomic
def mirror_groups(user, groups):
    """Give the user exactly these groups, and admin rights if one of them is the admin group."""
    # Admins manage everything, Django admin included; losing the group takes that away.
    is_admin = settings.PORTAL_ADMIN_GROUP in groups
    if (user.is_staff, user.is_superuser) != (is_admin, is_admin):
        user.is_staff = user.is_superuser = is_admin
        user.save(update_fields=["is_staff", "is_superuser"])
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])


def remember_tokens(session, token):
    """Keep what sign-out and the re-check need from the token response of a sign-in."""
    _keep_tokens(session, token)
    _mark_checked(session)


def _keep_tokens(session, token):
    if token.get("id_token"):
        session[ID_TOKEN_KEY] = token["id_token"]
    if token.get("refresh_token"):
        session[REFRESH_TOKEN_KEY] = token["refresh_token"]
        session.pop(ACCESS_TOKEN_KEY, None)
    else:
        session.pop(REFRESH_TOKEN_KEY, None)
        session[ACCESS_TOKEN_KEY] = token["access_token"]


def _mark_checked(session):
    session[CHECKED_AT_KEY] = time.time()
    session.pop(RETRY_AT_KEY, None)


def recheck_due(session, now):
    """Whether a session signed in through PingOne holds groups older than the setting allows."""
    if CHECKED_AT_KEY not in session and ID_TOKEN_KEY not in session:
        return False  # not a PingOne sign-in
    if now < session.get(RETRY_AT_KEY, 0):
        return False
    # A session from before the re-check existed has no time and is due at once.
    return now - session.get(CHECKED_AT_KEY, 0) >= settings.PORTAL_SESSION_RECHECK_SECONDS


def recheck_session(request):
    """Re-check a signed-in user's groups with PingOne if they are due; False: end the session."""
    session, now = request.session, time.time()
    if not recheck_due(session, now):
        return True
    lock = "oidc-recheck:" + hashlib.sha256(session.session_key.encode()).hexdigest()
    if not _claim(lock):
        return True  # another request of this session is re-checking right now
    try:
        groups = _current_groups(session, request.user)
    except RecheckRefused as exc:
        log.info("Ending the session of user %s: PingOne refused the re-check (%s)", request.user.pk, exc)
        _release(lock)
        return False
    except (requests.RequestException, ValueError) as exc:
        log.warning(
            "Could not re-check the groups of user %s with PingOne (%s); trying again in %s s",
            request.user.pk,
            type(exc).__name__,
            UNREACHABLE_BACKOFF_SECONDS,
        )
        session[RETRY_AT_KEY] = now + UNREACHABLE_BACKOFF_SECONDS
    else:
        mirror_groups(request.user, groups)
        _mark_checked(session)
        log.info("Re-checked user %s with PingOne: groups %s", request.user.pk, groups)
    # Saved now, not with the response, so the next request of this session sees the rolled token.
    session.save()
    _release(lock)
    return True


def _claim(lock):
    try:
        return cache.add(lock, 1, RECHECK_LOCK_SECONDS)
    except Exception as exc:
        # A cache outage must not take pages down with it: re-check without the lock.
        log.warning("Re-check lock unavailable (%s)", type(exc).__name__)
        return True


def _release(lock):
    try:
        cache.delete(lock)
    except Exception:  # noqa: S110 - the lock expires on its own
        pass


def _current_groups(session, user):
    """The user's groups from userinfo, with a token from the refresh grant or the kept one."""
    client = oidc_client()
    refresh_token = session.get(REFRESH_TOKEN_KEY)
    try:
        if refresh_token:
            token = client.fetch_access_token(
                refresh_token=refresh_token, grant_type="refresh_token", timeout=settings.PINGONE_TIMEOUT
            )
            if not token.get("access_token"):
                raise RecheckRefused("no access token in the answer")
            # PingOne rolls refresh tokens (the old one is spent): keep the new one even if
            # userinfo fails next. A provider that does not roll them keeps the old one valid.
            _keep_tokens(session, {"refresh_token": refresh_token, **token})
        elif session.get(ACCESS_TOKEN_KEY):
            token = {"access_token": session[ACCESS_TOKEN_KEY], "token_type": "Bearer"}
        else:
            raise RecheckRefused("no token kept")
        claims = client.userinfo(token=token, timeout=settings.PINGONE_TIMEOUT)
    except AuthlibBaseError as exc:
        raise RecheckRefused(exc.error) from None
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status is not None and 400 <= status < 500 and status != 429:
            raise RecheckRefused(f"HTTP {status}") from None
        raise
    if str(claims.get("sub", ""))[:150] != user.get_username():
        raise RecheckRefused("userinfo is about another user")
    return groups_from(claims, lambda: {})
