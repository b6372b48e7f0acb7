"""PingOne's validation of theme, branding settings and application bodies, as `details` entries."""

import re

TEMPLATES = ("default", "focus", "mural", "slate", "split")
LOGO_TYPES = ("IMAGE", "NONE")
BACKGROUND_TYPES = ("NONE", "COLOR", "IMAGE", "DEFAULT")
COLOURS = (
    "buttonColor",
    "buttonTextColor",
    "linkTextColor",
    "cardColor",
    "bodyTextColor",
    "headingTextColor",
)
APPLICATION_TYPES = (
    "WEB_APP",
    "NATIVE_APP",
    "SINGLE_PAGE_APP",
    "WORKER",
    "CUSTOM_APP",
    "PORTAL_LINK_APP",
)
PROTOCOLS = ("OPENID_CONNECT", "SAML")

HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def required(target):
    """Return the detail PingOne gives for a missing field."""
    return {"code": "REQUIRED_VALUE", "target": target, "message": f"{target} is required."}


def invalid(target, message):
    """Return the detail PingOne gives for a field with a wrong value."""
    return {"code": "INVALID_VALUE", "target": target, "message": f"{target} {message}"}


def is_hex_colour(value):
    """Tell whether value is a colour as PingOne writes them: #abc or #aabbcc."""
    return isinstance(value, str) and HEX_COLOUR.fullmatch(value) is not None


def _one_of(obj, key, allowed, target):
    if obj.get(key) is None:
        return [required(target)]
    if obj[key] not in allowed:
        return [invalid(target, f"must be one of {', '.join(allowed)}.")]
    return []


def _colour(obj, key, target, needed=True):
    if obj.get(key) is None:
        return [required(target)] if needed else []
    if not is_hex_colour(obj[key]):
        return [invalid(target, "must be a hex colour such as #abc or #aabbcc.")]
    return []


def _string(obj, key, target):
    if key in obj and not isinstance(obj[key], str):
        return [invalid(target, "must be a string.")]
    return []


def _string_list(obj, key, target):
    value = obj.get(key)
    if key in obj and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return [invalid(target, "must be a list of strings.")]
    return []


def image_problems(obj, key, target, needed=False):
    """Check an image reference {id, href}: PingOne checks the id is a UUID, not that the image exists."""
    value = obj.get(key)
    if value is None:
        return [required(target)] if needed else []
    if not isinstance(value, dict):
        return [invalid(target, "must be an object with id and href.")]
    problems = []
    if value.get("id") is None:
        problems.append(required(f"{target}.id"))
    elif not (isinstance(value["id"], str) and UUID.fullmatch(value["id"])):
        problems.append(invalid(f"{target}.id", "must be a UUID."))
    if value.get("href") is None:
        problems.append(required(f"{target}.href"))
    elif not isinstance(value["href"], str) or not value["href"].strip():
        problems.append(invalid(f"{target}.href", "must be a URL."))
    return problems


def theme_problems(body):
    """Return what is wrong with a theme body (create or replace), as details."""
    problems = _one_of(body, "template", TEMPLATES, "template")
    # `default` is read-only here (PUT .../default sets it): ignored, but still a boolean if given.
    if body.get("default") is not None:
        problems += default_flag_problems(body)
    config = body.get("configuration")
    if config is None:
        return problems + [required("configuration")]
    if not isinstance(config, dict):
        return problems + [invalid("configuration", "must be an object.")]

    def at(key):
        return f"configuration.{key}"

    problems += _string(config, "name", at("name"))
    problems += _string(config, "footer", at("footer"))
    problems += _one_of(config, "logoType", LOGO_TYPES, at("logoType"))
    problems += image_problems(config, "logo", at("logo"), needed=config.get("logoType") == "IMAGE")
    problems += _one_of(config, "backgroundType", BACKGROUND_TYPES, at("backgroundType"))
    background = config.get("backgroundType")
    problems += image_problems(config, "backgroundImage", at("backgroundImage"), needed=background == "IMAGE")
    problems += _colour(config, "backgroundColor", at("backgroundColor"), needed=background == "COLOR")
    for key in COLOURS:
        problems += _colour(config, key, at(key))
    return problems


def default_flag_problems(body):
    """Return what is wrong with the body of PUT .../themes/{id}/default."""
    if body.get("default") is None:
        return [required("default")]
    if not isinstance(body["default"], bool):
        return [invalid("default", "must be true or false.")]
    return []


def settings_problems(body):
    """Return what is wrong with a branding settings body."""
    return _string(body, "companyName", "companyName") + image_problems(body, "logo", "logo")


def application_problems(body, stored):
    """Return what is wrong with an application body replacing `stored`."""
    problems = []
    if not body.get("name"):
        problems.append(required("name"))
    elif not isinstance(body["name"], str):
        problems.append(invalid("name", "must be a string."))
    for key, allowed in (("type", APPLICATION_TYPES), ("protocol", PROTOCOLS)):
        found = _one_of(body, key, allowed, key)
        # What kind of application it is was settled when it was created.
        if not found and body[key] != stored[key]:
            found = [invalid(key, f"cannot be changed from {stored[key]}.")]
        problems += found
    if body.get("enabled") is None:
        problems.append(required("enabled"))
    elif not isinstance(body["enabled"], bool):
        problems.append(invalid("enabled", "must be true or false."))
    problems += _string(body, "description", "description")
    problems += _string_list(body, "redirectUris", "redirectUris")
    problems += _string_list(body, "postLogoutRedirectUris", "postLogoutRedirectUris")
    problems += image_problems(body, "icon", "icon")
    return problems
