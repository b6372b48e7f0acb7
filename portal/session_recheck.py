"""Re-check a signed-in user's groups with PingOne once their session's view of them is old."""

from django.contrib import auth

from . import views
from .oidc import recheck_session

# Signing in and out handle the session themselves; ending it in the middle would lose the
# sign-in's state or skip PingOne's sign-out.
SIGN_IN_VIEWS = {views.login, views.callback, views.logout}


class GroupRecheckMiddleware:
    """Ends the session when PingOne refuses the re-check; the view then sees an anonymous user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if view_func not in SIGN_IN_VIEWS and request.user.is_authenticated:
            if not recheck_session(request):
                auth.logout(request)
        return None
