"""Putting live assets on PingOne's sign-on screens, and knowing which assets are used where.

An apply reads the PingOne object, changes one slot, sends the whole object back (PingOne's PUT
replaces it), and, when asked, makes the theme active. It is all or nothing: if PingOne fails a
call, whatever was already changed is put back before the error is reported.
"""

import copy
import logging
import re
from dataclasses import dataclass, field

import requests
from django.db import transaction
from django.utils import timezone

from . import pingone
from .clients import pingone_client
from .models import APPLIED, Asset, AuditEvent, BrandingUse, Environment, displayable_href

log = logging.getLogger(__name__)

# The task name is a contract with running workers; images_app.tasks registers it.
REFRESH_TASK = "images_app.refresh_branding_usage"
# An apply runs in the request: each of its few calls gets a short timeout.
APPLY_TIMEOUT = (3, 10)
TARGETS = {
    "theme_logo": "the logo of theme",
    "theme_background": "the background of theme",
    "settings_logo": "the branding settings logo",
    "app_icon": "the icon of application",
}
HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
# Ping Default's colours: a preview falls back to them where a theme's are not hex.
DEFAULT_COLOURS = {
    "backgroundColor": "#ededed",
    "cardColor": "#ffffff",
    "buttonColor": "#2996cc",
    "buttonTextColor": "#ffffff",
    "headingTextColor": "#686f77",
    "bodyTextColor": "#686f77",
    "linkTextColor": "#2996cc",
}


class ApplyRefused(Exception):
    """The apply was not attempted: a bad target, an unknown theme or application, not live."""

    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class ApplyFailed(Exception):
    """PingOne failed a call; everything already changed was put back (or the log says not)."""

    def __init__(self, error: pingone.PingOneError, restored: bool):
        message = f"PingOne refused the change: {error.code}: {error.message}"
        if not restored:
            message += " Some of what was already changed could not be put back; see the log."
        super().__init__(message)
        self.code, self.message = error.code or "PINGONE_ERROR", message


# --- reading the sign-on screens -----------------------------------------------------------


@dataclass
class Screens:
    """What an environment's sign-on screens are made of, as PingOne has them now."""

    themes: list[dict]  # the active one first
    settings: dict
    applications: list[dict]
    uses: list[BrandingUse] = field(default_factory=list)


def read_screens(environment: Environment, client: pingone.PingOneClient | None = None) -> Screens:
    """Themes, branding settings and applications from PingOne, and the image in each slot;
    the portal's record of what is used where is brought up to date on the way."""
    client = client or pingone_client(APPLY_TIMEOUT)
    env_id = environment.pingone_environment_id
    themes = sorted(client.list_themes(env_id), key=lambda t: (not t.get("default"), _theme_name(t)))
    screens = Screens(themes, client.read_branding_settings(env_id), client.list_applications(env_id))
    screens.uses = record_usage(environment, screens)
    return screens


def refresh_usage(environment: Environment) -> list[BrandingUse]:
    """Read the environment's sign-on screens from PingOne and record which images they use."""
    return read_screens(environment).uses


def record_usage(environment, screens):
    """Replace the environment's record of used slots with what `screens` shows."""
    found = [use for use in _slots(environment, screens) if use is not None]
    image_ids = {use.image_id for use in found}
    assets = {
        a.pingone_image_id: a
        for a in Asset.objects.for_environment(environment).filter(pingone_image_id__in=image_ids)
    }
    now = timezone.now()
    for use in found:
        use.asset, use.refreshed_at = assets.get(use.image_id), now
    with transaction.atomic():
        BrandingUse.objects.filter(environment=environment).delete()
        BrandingUse.objects.bulk_create(found)
    return found


def _slots(environment, screens):
    def use(kind, object_id, name, slot, image):
        if isinstance(image, dict) and image.get("id"):
            return BrandingUse(
                environment=environment,
                kind=kind,
                object_id=str(object_id or ""),
                name=str(name or "")[:255],
                slot=slot,
                image_id=str(image["id"])[:64],
                image_href=str(image.get("href") or ""),
            )
        return None

    for theme in screens.themes:
        config = theme.get("configuration") or {}
        if config.get("logoType") == "IMAGE":
            yield use("theme", theme.get("id"), _theme_name(theme), "logo", config.get("logo"))
        if config.get("backgroundType") == "IMAGE":
            yield use(
                "theme", theme.get("id"), _theme_name(theme), "background", config.get("backgroundImage")
            )
    settings_logo = use(
        "settings",
        environment.pingone_environment_id,
        "Branding settings",
        "logo",
        screens.settings.get("logo"),
    )
    yield settings_logo
    for app in screens.applications:
        yield use("application", app.get("id"), app.get("name"), "icon", app.get("icon"))


def _theme_name(theme):
    return str((theme.get("configuration") or {}).get("name") or theme.get("id") or "")


def refresh_all_usage() -> int:
    """Refresh every environment's record of used slots; the number refreshed."""
    refreshed = 0
    for environment in Environment.objects.all():
        try:
            refresh_usage(environment)
            refreshed += 1
        except pingone.PingOneError as exc:
            log.warning("Could not read the sign-on screens of %s: %s", environment.slug, exc)
    return refreshed


# --- applying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyOutcome:
    """What was changed, in words for the audit trail and the person who asked."""

    description: str


def apply(
    asset: Asset,
    actor,
    *,
    target: str,
    theme_id: str = "",
    activate: bool = False,
    application_id: str = "",
) -> ApplyOutcome:
    """Put a live asset in one slot of its environment's sign-on screens; all or nothing."""
    if target not in TARGETS:
        raise ApplyRefused("bad_target", f"Choose where to put the image: {', '.join(sorted(TARGETS))}.")
    if not asset.is_live or not asset.pingone_image_id:
        raise ApplyRefused("not_live", "Only a live image can be put on a sign-on screen.", 409)
    if target == "app_icon" and not application_id:
        raise ApplyRefused("application_required", "Choose the application whose icon this becomes.")
    client = pingone_client(APPLY_TIMEOUT)
    env_id = asset.environment.pingone_environment_id
    image = {"id": asset.pingone_image_id, "href": asset.pingone_href}
    on_theme = target.startswith("theme_")
    undo = []
    try:
        # The theme list is read once, and only when the active theme matters.
        active_id = _active_theme_id(client, env_id) if on_theme and (activate or not theme_id) else None
        theme_id = theme_id or active_id
        if on_theme and not theme_id:
            raise _NotFound("The environment has no active theme.")
        description, previous, correlation_id = _change_slot(
            client, env_id, target, image, theme_id, application_id, undo
        )
        if activate and on_theme:
            description += _activate(client, env_id, undo, theme_id, active_id)
    except _NotFound as missing:
        _undo(undo)
        raise ApplyRefused("not_found", str(missing), 404) from None
    except pingone.PingOneError as exc:
        raise ApplyFailed(exc, restored=_undo(undo)) from None
    AuditEvent.record(
        actor,
        asset=asset,
        from_status=asset.status,
        to_status=APPLIED,
        note=f"put as {description}; before: {previous}",
        correlation_id=correlation_id,
    )
    try:
        read_screens(asset.environment, client)
    except (pingone.PingOneError, requests.RequestException):
        log.warning("Could not refresh what environment %s uses after an apply", asset.environment.slug)
    return ApplyOutcome(description)


class _NotFound(Exception):
    pass


def _change_slot(client, env_id, target, image, theme_id, application_id, undo):
    """Read the object, change the slot, PUT it all back; (description, previous, correlation)."""
    if target.startswith("theme_"):
        original = _read(client.read_theme, env_id, theme_id, what="theme")
        changed = copy.deepcopy(original)
        config = changed.setdefault("configuration", {})
        if target == "theme_logo":
            previous = _describe(config.get("logo") if config.get("logoType") == "IMAGE" else None)
            config["logoType"], config["logo"] = "IMAGE", image
        else:
            previous = _describe(
                config.get("backgroundImage") if config.get("backgroundType") == "IMAGE" else None
            )
            config["backgroundType"], config["backgroundImage"] = "IMAGE", image
        change = client.replace_theme(env_id, theme_id, changed)
        undo.append(lambda: client.replace_theme(env_id, theme_id, original))
        return f"{TARGETS[target]} “{_theme_name(original)}”", previous, change.correlation_id
    if target == "settings_logo":
        original = client.read_branding_settings(env_id)
        changed = {**copy.deepcopy(original), "logo": image}
        change = client.replace_branding_settings(env_id, changed)
        undo.append(lambda: client.replace_branding_settings(env_id, original))
        return TARGETS[target], _describe(original.get("logo")), change.correlation_id
    original = _read(client.read_application, env_id, application_id, what="application")
    changed = {**copy.deepcopy(original), "icon": image}
    change = client.replace_application(env_id, application_id, changed)
    undo.append(lambda: client.replace_application(env_id, application_id, original))
    return (
        f"{TARGETS[target]} “{original.get('name', application_id)}”",
        _describe(original.get("icon")),
        change.correlation_id,
    )


def _active_theme_id(client, env_id):
    active = next((t for t in client.list_themes(env_id) if t.get("default")), None)
    return active["id"] if active else None


def _activate(client, env_id, undo, theme_id, active_id):
    """Make `theme_id` active; undoing makes `active_id` (the one active before) active again."""
    if active_id == theme_id:
        return " (already the active theme)"
    client.set_active_theme(env_id, theme_id)
    if active_id:
        undo.append(lambda: client.set_active_theme(env_id, active_id))
    return ", now the active theme"


def _read(read, env_id, object_id, *, what):
    try:
        return read(env_id, object_id)
    except pingone.NotFound:
        raise _NotFound(f"PingOne has no {what} {object_id} in this environment.") from None


def _describe(image):
    if isinstance(image, dict) and image.get("id"):
        return f"image {image['id']}"
    return "no image"


def _undo(steps):
    """Put back what was changed, newest first; False if something could not be put back."""
    restored = True
    for step in reversed(steps):
        try:
            step()
        except (pingone.PingOneError, requests.RequestException):
            log.exception("Could not put back a change to PingOne's branding")
            restored = False
    return restored


# --- for pages ------------------------------------------------------------------------------


def preview(theme: dict) -> dict:
    """What a drawn preview of the theme's sign-on card needs: colours (hex only) and images."""
    config = theme.get("configuration") or {}
    colours = {
        name: value if isinstance(value := config.get(name), str) and HEX_COLOUR.match(value) else default
        for name, default in DEFAULT_COLOURS.items()
    }
    logo = config.get("logo") if config.get("logoType") == "IMAGE" else None
    background = config.get("backgroundImage") if config.get("backgroundType") == "IMAGE" else None
    return {
        **colours,
        "logo": _href(logo),
        "background_image": _href(background),
        "background_is_colour": config.get("backgroundType") == "COLOR",
    }


def _href(image):
    return displayable_href(image.get("href")) if isinstance(image, dict) else ""
