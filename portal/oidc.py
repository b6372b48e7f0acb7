"""Sign-in with OpenID Connect: the authlib client built from settings, and syncing users."""

import functools

from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

# PingOne replaces a multi-valued claim of more than 25 values with this string.
CLAIM_TOO_LARGE = "[SIZE_LIMIT_EXCEEDED]"


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
            "timeout": settings.PINGONE_TIMEOUT,
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
    user, _ = user_model.objects.get_or_create(username=claims["sub"][:150])
    user.email = claims.get("email") or ""
    user.first_name = (claims.get("given_name") or "")[:150]
    user.last_name = (claims.get("family_name") or "")[:150]
    if not (user.first_name or user.last_name) and claims.get("name"):
        user.first_name = claims["name"][:150]
    # Admins manage everything, Django admin included; losing the group takes that away.
    is_admin = settings.PORTAL_ADMIN_GROUP in groups
    user.is_staff = user.is_superuser = is_admin
    user.set_unusable_password()
    user.save()
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    return user
