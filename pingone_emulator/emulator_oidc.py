"""OpenID Connect under /{envID}/as/: discovery, authorize, token, userinfo, jwks, signoff."""

import hmac
import time
import uuid

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)

from .authserver import SCOPES, create_authorization_server, user_claims
from .branding import sign_in_look
from .context import current

SESSION_COOKIE = "p1emu_session"
# Parameters of the sign-in form itself, never carried back as authorization parameters.
FORM_FIELDS = {"username", "password", "action"}
CLAIMS = (
    "sub iss aud iat exp auth_time nonce amr sid env org name given_name family_name "
    "preferred_username email groups"
).split()

bp = Blueprint("oidc", __name__, url_prefix="/<env_id>/as")


@bp.url_value_preprocessor
def _pull_environment(endpoint, values):
    g.env_id = values.pop("env_id")


@bp.before_request
def _require_environment():
    if current().config.environment(g.env_id) is None:
        abort(404)


def init_oidc(app):
    """Register the OIDC blueprint and its authorization server on app."""
    app.extensions["pingone_emulator_oauth"] = create_authorization_server(app)
    app.register_blueprint(bp)


def _server():
    return current_app.extensions["pingone_emulator_oauth"]


def _message(title, message, status=400):
    return render_template("pingone_emulator/message.html", title=title, message=message), status


def _signed_in_session():
    sid = request.cookies.get(SESSION_COOKIE)
    session = current().store.session(sid) if sid else None
    if not session or session["environment_id"] != g.env_id:
        return None, None
    return sid, session


def _sign_in_form(error=None):
    params = [(k, v) for k, v in request.values.items(multi=True) if k not in FORM_FIELDS]
    html = render_template(
        "pingone_emulator/signin.html",
        action=request.base_url,
        params=params,
        error=error,
        environment=current().config.environment(g.env_id)["name"],
        theme=sign_in_look(g.env_id),
        username=request.values.get("username", ""),
    )
    return html


@bp.route("/.well-known/openid-configuration")
def discovery():
    """The OpenID Provider metadata of one environment."""
    issuer = current().issuer(g.env_id)
    return jsonify(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks",
            "end_session_endpoint": f"{issuer}/signoff",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["none"],
            "scopes_supported": SCOPES,
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "code_challenge_methods_supported": ["plain", "S256"],
            "claims_supported": CLAIMS,
            "request_parameter_supported": False,
        }
    )


@bp.route("/jwks")
def jwks():
    """The public signing keys."""
    return jsonify(current().key.jwks())


@bp.route("/authorize", methods=["GET", "POST"])
def authorize():
    """Show the sign-in form, or send the browser back with a code or an error."""
    emulator = current()
    params = request.values
    application = emulator.application(params.get("client_id"), g.env_id)
    if application is None or application.type != "oidc_web":
        return _message("Sign-in error", "Unknown client_id for this environment.")
    if params.get("redirect_uri") not in application.redirect_uris:
        return _message("Sign-in error", "The redirect_uri is not registered for this client.")

    sid, session = _signed_in_session()
    user = emulator.user(sub=session["user_sub"]) if session else None
    server = _server()
    try:
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        return server.handle_error_response(None, error)

    if request.method == "POST":
        if params.get("action") == "deny":
            return server.create_authorization_response(grant_user=None, grant=grant)
        user = emulator.user(username=params.get("username", ""))
        password = params.get("password", "").encode()
        if (
            user is None
            or user.environment_id != g.env_id
            or not hmac.compare_digest(password, user.password.encode())
        ):
            return _sign_in_form(error="Incorrect username or password.")
        sid = str(uuid.uuid4())
        session = {"environment_id": g.env_id, "user_sub": user.sub, "auth_time": int(time.time())}
        emulator.store.add_session(sid, session)
    elif user is None or "login" in params.get("prompt", "").split():
        return _sign_in_form()

    g.session_id = sid
    g.auth_time = session["auth_time"]
    response = server.create_authorization_response(grant_user=user, grant=grant)
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Lax")
    return response


@bp.route("/token", methods=["POST"])
def token():
    """The token endpoint: authorization_code, refresh_token and client_credentials."""
    response = _server().create_token_response()
    # authlib answers 400 for an unknown client sent with client_secret_post; PingOne 401.
    if (
        response.status_code == 400
        and (response.get_json(silent=True) or {}).get("error") == "invalid_client"
    ):
        response.status_code = 401
    return response


def _invalid_token(description):
    response = jsonify({"error": "invalid_token", "error_description": description})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{description}"'
    return response


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo():
    """Claims about the signed-in user of a Bearer access token (groups in full)."""
    emulator = current()
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value:
        return _invalid_token("Missing Bearer access token.")
    record = emulator.store.token(value.strip())
    if (
        record is None
        or record["grant_type"] not in ("authorization_code", "refresh_token")
        or record["environment_id"] != g.env_id
        or record["expires_at"] < time.time()
    ):
        return _invalid_token("The access token is not valid.")
    user = emulator.user(sub=record["user_sub"])
    if user is None:
        return _invalid_token("The user of this token no longer exists.")
    return jsonify(user_claims(user, record["scope"], g.env_id))


@bp.route("/signoff")
def signoff():
    """End the emulator's browser session and return to the app's post-logout URI."""
    emulator = current()
    hint = request.args.get("id_token_hint")
    post_logout = request.args.get("post_logout_redirect_uri")
    application = None
    if hint:
        claims = emulator.key.verify(hint)
        if not claims or claims.get("iss") != emulator.issuer(g.env_id):
            return _message("Sign-off error", "The id_token_hint is not valid.")
        audience = claims.get("aud")
        if isinstance(audience, list):
            audience = audience[0] if audience else None
        application = emulator.application(audience, g.env_id)
    if post_logout and (application is None or post_logout not in application.post_logout_redirect_uris):
        return _message("Sign-off error", "The post_logout_redirect_uri is not registered for this client.")

    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        emulator.store.end_session(sid)
    if post_logout:
        state = request.args.get("state")
        response = redirect(add_params_to_uri(post_logout, [("state", state)] if state else []))
    else:
        response = make_response(*_message("Signed out", "You have been signed out.", 200))
    response.delete_cookie(SESSION_COOKIE)
    return response
