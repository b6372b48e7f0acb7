"""The Django admin for portal admins only, signed in through PingOne: no local passwords."""

from functools import update_wrapper

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from images_app.roles import is_portal_admin

REFUSED = "The Django admin is for portal admins only."


class PortalAdminSite(admin.AdminSite):
    site_header = "PingOne image portal"
    site_title = "Image portal admin"

    def has_permission(self, request):
        return request.user.is_active and is_portal_admin(request.user)

    def admin_view(self, view, cacheable=False):
        """Anonymous visitors sign in through PingOne; signed-in non-admins get 403 at once."""
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("login"))
            if not self.has_permission(request):
                raise PermissionDenied(REFUSED)
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)

    def login(self, request, extra_context=None):
        """Never the username/password form."""
        if request.user.is_authenticated:
            if self.has_permission(request):
                return redirect("admin:index")
            raise PermissionDenied(REFUSED)
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("login"))
