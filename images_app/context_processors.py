"""Template context shared by every page."""

import functools

from .models import Status, StatusCount
from .roles import is_portal_admin


def portal_user(request):
    """Whether the user is an admin, and for admins how many uploads wait for review."""
    # Error pages for a refused Host are drawn before the authentication middleware ran.
    user = getattr(request, "user", None)
    admin = user is not None and is_portal_admin(user)
    # From the kept counters, not a count of the assets table (every page shows it).
    waiting = functools.cache(lambda: StatusCount.objects.total(Status.AWAITING_REVIEW)) if admin else 0
    return {"is_portal_admin": admin, "waiting_for_review": waiting}
