"""The admins' review queue across environments, with bulk approve and reject."""

from django.http import HttpResponse

from .access import admin_required


@admin_required
def review(request):
    return HttpResponse("")
