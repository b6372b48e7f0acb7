"""The Django admin, as the portal runs it: its own site class (see portal.admin_site)."""

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
