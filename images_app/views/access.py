"""Who may see what: environments and assets a user's groups grant, and admin-only pages."""

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from ..models import Asset, Environment
from ..roles import is_portal_admin


def visible_environment(request, slug):
    """The environment, if the user's groups grant it (admins: any); else 404."""
    return get_object_or_404(Environment.objects.visible_to(request.user), slug=slug)


def visible_asset(request, asset_id):
    """The asset, if its environment is visible to the user; else 404, whatever the id."""
    return get_object_or_404(
        Asset.objects.visible_to(request.user).select_related("environment", "uploaded_by", "source"),
        pk=asset_id,
    )


def admin_required(view):
    """Signed-in admins only: others get 403 (anonymous visitors are sent to sign in)."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_portal_admin(request.user):
            raise PermissionDenied("Only admins can open this page.")
        return view(request, *args, **kwargs)

    return wrapped
