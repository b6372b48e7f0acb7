"""An environment's sign-on screens: its themes (drawn), branding settings logo and application
icons, which asset fills each slot, and putting a live asset in one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from .. import branding as screens_service
from .. import pingone
from ..forms import ApplyForm
from ..models import Asset, Status
from ..roles import is_portal_admin
from .access import visible_environment


@login_required
@require_http_methods(["GET", "POST"])
def branding(request, slug):
    environment = visible_environment(request, slug)
    may_apply = is_portal_admin(request.user) or not environment.review_required
    if request.method == "POST":
        if not may_apply:
            raise PermissionDenied("Only admins can put images on sign-on screens in this environment.")
        return apply(request, environment)
    try:
        screens = screens_service.read_screens(environment)
    except pingone.PingOneError as exc:
        return render(
            request,
            "images_app/branding.html",
            {"environment": environment, "error": f"PingOne did not answer: {exc.code}: {exc.message}"},
            status=502,
        )
    filled = {(use.kind, use.object_id, use.slot): use for use in screens.uses}
    live = list(Asset.objects.for_environment(environment).filter(status=Status.LIVE).order_by("filename"))
    themes = [
        {
            "theme": theme,
            "preview": screens_service.preview(theme),
            "logo": filled.get(("theme", theme.get("id"), "logo")),
            "background": filled.get(("theme", theme.get("id"), "background")),
        }
        for theme in screens.themes
    ]
    applications = [
        {"application": app, "icon": filled.get(("application", app.get("id"), "icon"))}
        for app in screens.applications
    ]
    return render(
        request,
        "images_app/branding.html",
        {
            "environment": environment,
            "themes": themes,
            "settings_logo": filled.get(("settings", environment.pingone_environment_id, "logo")),
            "applications": applications,
            "live_assets": live,
            "may_apply": may_apply,
        },
    )


def apply(request, environment):
    """The branding page's pickers: the chosen live asset of this environment into one slot."""
    asset_id = request.POST.get("asset", "")
    if not asset_id.isdigit():
        messages.error(request, "Choose a live image of this environment.")
        return redirect("images:branding", slug=environment.slug)
    asset = get_object_or_404(
        Asset.objects.for_environment(environment).select_related("environment"), pk=asset_id
    )
    form = ApplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.values()))[0])
        return redirect("images:branding", slug=environment.slug)
    try:
        outcome = screens_service.apply(asset, request.user, **form.cleaned_data)
    except (screens_service.ApplyRefused, screens_service.ApplyFailed) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{asset.filename} is now {outcome.description}.")
    return redirect("images:branding", slug=environment.slug)
