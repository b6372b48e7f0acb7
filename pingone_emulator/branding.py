"""PingOne's branding APIs under /v1/environments/{envID}/: settings, themes and applications."""

import copy
import uuid
from urllib.parse import quote

from flask import Blueprint, Response, abort, g, jsonify, request

from . import branding_validation as rules
from .authserver import REFRESH_TOKEN_TTL
from .context import current
from .errors import error_response
from .images import worker_token_problem

PING_DEFAULT = {
    "template": "default",
    "configuration": {
        "name": "Ping Default",
        "logoType": "NONE",
        "backgroundType": "DEFAULT",
        "buttonColor": "#2996cc",
        "buttonTextColor": "#ffffff",
        "bodyTextColor": "#686f77",
        "headingTextColor": "#686f77",
        "linkTextColor": "#2996cc",
        "cardColor": "#ffffff",
        "backgroundColor": "#ededed",
        "footer": "Powered by PingOne",
    },
}
# Fields PingOne writes itself: ignored in a body, never stored.
READ_ONLY = ("_links", "_embedded", "id", "environment")
THEME_READ_ONLY = (*READ_ONLY, "default")
# A client secret is never part of an application's body: a PUT cannot set it.
APPLICATION_READ_ONLY = (*READ_ONLY, "createdAt", "updatedAt", "clientSecret", "secret")
# Characters an href keeps in an unquoted CSS url(); quotes, brackets and spaces are encoded.
CSS_URL_SAFE = ":/?#[]@!$&*+,;=%-._~"

bp = Blueprint("branding", __name__, url_prefix="/v1/environments/<env_id>")


class InvalidData(Exception):
    """A request PingOne refuses with 400 and these details."""

    def __init__(self, details, code=None):
        super().__init__(details)
        self.details = details
        self.code = code


@bp.errorhandler(InvalidData)
def _invalid_data(exc):
    return error_response(400, code=exc.code, details=exc.details)


@bp.url_value_preprocessor
def _pull_environment(endpoint, values):
    g.env_id = values.pop("env_id")


@bp.before_request
def _require_worker_and_environment():
    problem = worker_token_problem()
    if problem:
        return problem
    if current().config.environment(g.env_id) is None:
        abort(404)
    return None


# state and defaults


def ping_default_id(env_id):
    """Return the id of an environment's "Ping Default" theme: the same across restarts and resets."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"pingone-emulator:{env_id}:themes:ping-default"))


def default_state(env_id):
    """Return the branding of a new environment: "Ping Default" active, no settings, configured apps."""
    theme_id = ping_default_id(env_id)
    return {
        "settings": {},
        "themes": {theme_id: copy.deepcopy(PING_DEFAULT)},
        "active_theme": theme_id,
        # Only applications replaced through the API; the others read as configured.
        "applications": {},
    }


def _state(env_id):
    return current().store.branding(env_id) or default_state(env_id)


def _change(env_id, change):
    return current().store.change_branding(env_id, lambda: default_state(env_id), change)


def _writable(body, read_only):
    return {key: value for key, value in body.items() if key not in read_only}


def _json_object(check, *args):
    """Return the request's JSON object once check(body, *args) finds nothing wrong."""
    if not request.is_json:
        abort(415)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidData([rules.invalid("body", "must be a JSON object.")])
    problems = check(body, *args)
    if problems:
        raise InvalidData(problems)
    return body


# bodies, as the API shows them


def _href(env_id, path=""):
    return f"{current().base_url}/v1/environments/{env_id}{path}"


def _links(env_id, path):
    return {"self": {"href": _href(env_id, path)}, "environment": {"href": _href(env_id)}}


def settings_body(env_id, state):
    """Return an environment's branding settings as GET brandingSettings answers them."""
    return {"_links": _links(env_id, "/brandingSettings"), "id": env_id, **state["settings"]}


def theme_body(env_id, theme_id, state):
    """Return a theme as GET themes/{id} answers it."""
    return {
        "_links": _links(env_id, f"/themes/{theme_id}"),
        "id": theme_id,
        "environment": {"id": env_id},
        "default": theme_id == state["active_theme"],
        **state["themes"][theme_id],
    }


def configured_application(app):
    """Return the body PingOne would show for a configured application before any PUT."""
    body = {
        "name": app.name,
        "enabled": True,
        "type": "WORKER" if app.type == "worker" else "WEB_APP",
        "protocol": "OPENID_CONNECT",
        "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
    }
    if app.type == "worker":
        return body | {"grantTypes": ["CLIENT_CREDENTIALS"], "assignActorRoles": False}
    return body | {
        "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
        "responseTypes": ["CODE"],
        "pkceEnforcement": "S256_REQUIRED",
        "redirectUris": list(app.redirect_uris),
        "postLogoutRedirectUris": list(app.post_logout_redirect_uris),
        "refreshTokenDuration": REFRESH_TOKEN_TTL,
        "refreshTokenRollingDuration": 180 * 24 * 3600,
    }


def application_body(env_id, app, state):
    """Return an application as GET applications/{id} answers it (its id is its client id)."""
    stored = state["applications"].get(app.client_id) or configured_application(app)
    return {
        "_links": _links(env_id, f"/applications/{app.client_id}"),
        "id": app.client_id,
        "environment": {"id": env_id},
        **stored,
    }


def environment_branding(env_id):
    """Return an environment's settings, themes and applications as the API shows them."""
    state = _state(env_id)
    return {
        "settings": settings_body(env_id, state),
        "themes": [theme_body(env_id, theme_id, state) for theme_id in state["themes"]],
        "applications": [
            application_body(env_id, app, state) for app in current().config.applications_in(env_id)
        ],
    }


def _collection(env_id, name, items):
    return jsonify(
        {
            "_links": {"self": {"href": _href(env_id, f"/{name}")}},
            "_embedded": {name: items},
            "size": len(items),
        }
    )


# branding settings


@bp.route("/brandingSettings", methods=["GET"])
def read_settings():
    """The environment's company name and logo."""
    return jsonify(settings_body(g.env_id, _state(g.env_id)))


@bp.route("/brandingSettings", methods=["PUT"])
def replace_settings():
    """Replace the branding settings: what the body leaves out is gone."""
    body = _json_object(rules.settings_problems)

    def replace(state):
        state["settings"] = _writable(body, READ_ONLY)
        return settings_body(g.env_id, state)

    return jsonify(_change(g.env_id, replace))


# themes


def _require_theme(state, theme_id):
    if theme_id not in state["themes"]:
        abort(404)


@bp.route("/themes", methods=["GET"])
def list_themes():
    """Every theme of the environment, the active one with `default: true`."""
    state = _state(g.env_id)
    return _collection(g.env_id, "themes", [theme_body(g.env_id, t, state) for t in state["themes"]])


@bp.route("/themes", methods=["POST"])
def create_theme():
    """Create a theme; it is not active until PUT .../default says so."""
    body = _json_object(rules.theme_problems)
    theme_id = str(uuid.uuid4())

    def add(state):
        state["themes"][theme_id] = _writable(body, THEME_READ_ONLY)
        return theme_body(g.env_id, theme_id, state)

    return jsonify(_change(g.env_id, add)), 201


@bp.route("/themes/<theme_id>", methods=["GET"])
def read_theme(theme_id):
    """One theme."""
    state = _state(g.env_id)
    _require_theme(state, theme_id)
    return jsonify(theme_body(g.env_id, theme_id, state))


@bp.route("/themes/<theme_id>", methods=["PUT"])
def replace_theme(theme_id):
    """Replace a whole theme: what the body leaves out (a footer, say) is gone."""
    _require_theme(_state(g.env_id), theme_id)
    body = _json_object(rules.theme_problems)

    def replace(state):
        _require_theme(state, theme_id)
        state["themes"][theme_id] = _writable(body, THEME_READ_ONLY)
        return theme_body(g.env_id, theme_id, state)

    return jsonify(_change(g.env_id, replace))


@bp.route("/themes/<theme_id>", methods=["DELETE"])
def delete_theme(theme_id):
    """Delete a theme that is not the active one."""

    def delete(state):
        _require_theme(state, theme_id)
        if state["active_theme"] == theme_id:
            detail = rules.invalid("default", "is true: the active theme cannot be deleted.")
            raise InvalidData([detail], code="INVALID_REQUEST")
        del state["themes"][theme_id]

    _change(g.env_id, delete)
    return Response(status=204)


def _default_body(theme_id, state):
    return {
        "_links": {
            "self": {"href": _href(g.env_id, f"/themes/{theme_id}/default")},
            "theme": {"href": _href(g.env_id, f"/themes/{theme_id}")},
        },
        "default": theme_id == state["active_theme"],
    }


@bp.route("/themes/<theme_id>/default", methods=["GET"])
def read_default(theme_id):
    """Whether this theme is the active one."""
    state = _state(g.env_id)
    _require_theme(state, theme_id)
    return jsonify(_default_body(theme_id, state))


@bp.route("/themes/<theme_id>/default", methods=["PUT"])
def set_default(theme_id):
    """Make a theme the active one (`{"default": true}`), which unsets the others."""
    _require_theme(_state(g.env_id), theme_id)
    body = _json_object(rules.default_flag_problems)

    def activate(state):
        _require_theme(state, theme_id)
        if body["default"]:
            state["active_theme"] = theme_id
        elif state["active_theme"] == theme_id:
            # An environment always has one active theme: another one must be made active instead.
            message = "cannot be false on the active theme: make another theme active instead."
            raise InvalidData([rules.invalid("default", message)])
        return _default_body(theme_id, state)

    return jsonify(_change(g.env_id, activate))


# applications


def _require_application(app_id):
    app = current().config.application(app_id, g.env_id)
    if app is None:
        abort(404)
    return app


@bp.route("/applications", methods=["GET"])
def list_applications():
    """Every application of the environment."""
    state = _state(g.env_id)
    apps = [application_body(g.env_id, app, state) for app in current().config.applications_in(g.env_id)]
    return _collection(g.env_id, "applications", apps)


@bp.route("/applications/<app_id>", methods=["GET"])
def read_application(app_id):
    """One application (never its client secret)."""
    app = _require_application(app_id)
    return jsonify(application_body(g.env_id, app, _state(g.env_id)))


@bp.route("/applications/<app_id>", methods=["PUT"])
def replace_application(app_id):
    """Replace an application: what the body leaves out (redirect URIs too) is gone; the secret stays."""
    app = _require_application(app_id)
    stored = application_body(g.env_id, app, _state(g.env_id))
    body = _json_object(rules.application_problems, stored)

    def replace(state):
        state["applications"][app.client_id] = _writable(body, APPLICATION_READ_ONLY)
        return application_body(g.env_id, app, state)

    return jsonify(_change(g.env_id, replace))


# the emulator's own sign-in page


def sign_in_look(env_id):
    """Return what an environment's sign-in page shows of its active theme: logo, colours, background."""
    state = _state(env_id)
    config = state["themes"][state["active_theme"]].get("configuration", {})
    fallback = PING_DEFAULT["configuration"]

    def colour(key):
        value = config.get(key)
        return value if rules.is_hex_colour(value) else fallback[key]

    kind = config.get("backgroundType")
    image = config.get("backgroundImage") or {}
    if kind == "IMAGE" and isinstance(image.get("href"), str):
        url = quote(image["href"], safe=CSS_URL_SAFE)
        background = f"{colour('backgroundColor')} url({url}) center / cover no-repeat"
    elif kind == "NONE":
        background = "#ffffff"
    else:
        background = colour("backgroundColor")
    logo = config.get("logo") or {}
    return {
        "name": config.get("name") or "",
        "logo": logo.get("href") if config.get("logoType") == "IMAGE" else None,
        "background": background,
        "footer": config.get("footer"),
        **{key: colour(key) for key in rules.COLOURS},
    }
