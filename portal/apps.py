"""The Django admin, as the portal runs it: its own site class (see portal.admin_site)."""

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"


class PortalConfig(AppConfig):
    """The project itself as an app: only for its management commands (portal/management)."""

    name = "portal"
    label = "portal"
    verbose_name = "Image portal"
