"""Who is an admin: members of PORTAL_ADMIN_GROUP (and Django superusers)."""

from django.conf import settings


def is_portal_admin(user):
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_is_portal_admin", None)
    if cached is None:
        cached = user.is_superuser or user.groups.filter(name=settings.PORTAL_ADMIN_GROUP).exists()
        user._is_portal_admin = cached
    return cached
