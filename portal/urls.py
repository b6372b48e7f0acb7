"""Top-level URLs: sign-in, the admin, and the image domain."""

from django.contrib import admin
from django.urls import include, path

from . import health, metrics, views

urlpatterns = [
    path("login/", views.login, name="login"),
    path("auth/callback/", views.callback, name="auth_callback"),
    path("logout/", views.logout, name="logout"),
    path("healthz/", health.healthz, name="healthz"),
    # Prometheus scrapes /metrics (no slash), behind PORTAL_METRICS_TOKEN.
    path("metrics", metrics.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("", include("images_app.urls")),
]

handler400 = "portal.errors.bad_request"
handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.not_found"
handler500 = "portal.errors.server_error"
