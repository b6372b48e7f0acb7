"""An environment's settings, for admins: whether its uploads wait for review."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .. import services
from ..forms import EnvironmentSettingsForm
from ..responses import wants_json
from .access import admin_required, visible_environment


def settings_json(environment):
    """The environment's settings as JSON clients read them."""
    return {"environment": {"slug": environment.slug, "review_required": environment.review_required}}


@admin_required
@require_http_methods(["GET", "POST"])
def environment_settings(request, slug):
    """GET: the settings form; POST: turn review on or off (audited), then back to the gallery."""
    environment = visible_environment(request, slug)
    form = EnvironmentSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={"review_required": environment.review_required},
    )
    if form.is_valid():
        required = form.cleaned_data["review_required"]
        changed = services.set_review_required(environment, request.user, required)
        if wants_json(request):
            return JsonResponse(settings_json(environment))
        if changed:
            messages.success(request, "Review turned on." if required else "Review turned off.")
        else:
            messages.info(request, "Nothing changed.")
        return redirect(environment)
    if wants_json(request):
        return JsonResponse(settings_json(environment))
    return render(request, "images_app/environment_settings.html", {"environment": environment, "form": form})
