"""Template context shared by every page."""

from .roles import is_portal_admin


def portal_user(request):
    return {"is_portal_admin": is_portal_admin(request.user)}
