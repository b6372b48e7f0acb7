"""An environment's settings, for admins: whether its uploads wait for review."""

from django.http import HttpResponse

from .access import admin_required


@admin_required
def environment_settings(request, slug):
    return HttpResponse("")
