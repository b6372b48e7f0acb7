"""Template context shared by every page."""

from .roles import is_portal_admin


def portal_user(request):
    # Error pages for a refused Host are drawn before the authentication middleware ran.
    user = getattr(request, "user", None)
    return {"is_portal_admin": user is not None and is_portal_admin(user)}
