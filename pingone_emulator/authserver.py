"""authlib's OAuth 2.0 / OpenID Connect server, wired to the emulator's configuration and state."""

import hmac
import time
import uuid

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError, scope_to_list
from authlib.oauth2.rfc6749.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.grants import OpenIDCode, OpenIDToken
from flask import g

from .config import ORGANIZATION
from .context import current

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
SCOPES = ["openid", "profile", "email", "address", "phone", "offline_access"]
REFRESH_TOKEN_TTL = 30 * 24 * 3600
# PingOne stops a multi-valued ID token claim at 25 values (userinfo keeps them all).
MAX_ID_TOKEN_VALUES = 25


class Client(ClientMixin):
    """An application of the current environment, as authlib sees it."""

    def __init__(self, application):
        self.application = application

    def get_client_id(self):
        return self.application.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        if self.application.type == "worker":
            return ""
        wanted = scope_to_list(scope) or ["openid"]
        return " ".join(s for s in wanted if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.application.redirect_uris

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(client_secret.encode(), self.application.client_secret.encode())

    def check_endpoint_auth_method(self, method, endpoint):
        return method in CLIENT_AUTH_METHODS

    def check_response_type(self, response_type):
        return self.application.type == "oidc_web" and response_type == "code"

    def check_grant_type(self, grant_type):
        if self.application.type == "worker":
            return grant_type == "client_credentials"
        return grant_type in ("authorization_code", "refresh_token")


class IssuedCode:
    """An authorization code record, as authlib's grants read it."""

    def __init__(self, code, record):
        self.code = code
        self.record = record
        self.code_challenge = record["code_challenge"]
        self.code_challenge_method = record["code_challenge_method"]

    def get_redirect_uri(self):
        return self.record["redirect_uri"]

    def get_scope(self):
        return self.record["scope"]

    def get_nonce(self):
        return self.record["nonce"]

    def get_auth_time(self):
        return self.record["auth_time"]

    def get_acr(self):
        return None

    def get_amr(self):
        return ["pwd"]


class IssuedToken:
    """An issued token record, as authlib's refresh grant reads it."""

    def __init__(self, record):
        self.record = record

    def check_client(self, client):
        return self.record["client_id"] == client.get_client_id()

    def get_scope(self):
        return self.record["scope"]


def user_claims(user, scope, env_id, sid=None, limit=False):
    """Return the claims about a user for these scopes (groups, env and org always)."""
    scopes = scope_to_list(scope) or []
    claims = {"sub": user.sub, "env": env_id, "org": ORGANIZATION}
    if "profile" in scopes:
        claims.update(
            name=user.name,
            given_name=user.given_name,
            family_name=user.family_name,
            preferred_username=user.username,
        )
    if "email" in scopes:
        claims["email"] = user.email
    groups = list(user.groups)
    claims["groups"] = "[SIZE_LIMIT_EXCEEDED]" if limit and len(groups) > MAX_ID_TOKEN_VALUES else groups
    if sid:
        claims["sid"] = sid
    return claims


class S256Required(CodeChallenge):
    """PKCE as PingOne's S256_REQUIRED: every client, confidential ones included."""

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: missing 'code_challenge'.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE is required with code_challenge_method=S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant, result):
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)


class EmulatorIDToken(OpenIDToken):
    """ID tokens as PingOne issues them: RS256 with kid, sid, env, org and groups."""

    def resolve_client_private_key(self, client):
        return current().key.key

    def get_client_algorithm(self, client):
        return "RS256"

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": current().key.kid}

    def get_client_claims(self, client):
        now = int(time.time())
        return {
            "iss": current().issuer(g.env_id),
            "aud": client.get_client_id(),
            "iat": now,
            "exp": now + current().settings["access_token_ttl_seconds"],
        }

    def generate_user_info(self, user, scope):
        return user_claims(user, scope, g.env_id, limit=True)


class EmulatorOpenIDCode(EmulatorIDToken, OpenIDCode):
    """The ID token of the authorization code grant, with the sign-in's sid."""

    def exists_nonce(self, nonce, request):
        return False

    def get_authorization_code_claims(self, authorization_code):
        claims = super().get_authorization_code_claims(authorization_code)
        claims["sid"] = authorization_code.record["sid"]
        return claims


class RefreshedIDToken(EmulatorIDToken):
    """A new ID token at each refresh: the user's current claims, the original sign-in's sid
    and auth_time, and no nonce (OpenID Connect Core 12.2)."""

    def get_compatible_claims(self, request):
        claims = super().get_compatible_claims(request)
        previous = request.refresh_token.record
        for name in ("sid", "auth_time"):
            if previous.get(name):
                claims[name] = previous[name]
        return claims


class CodeGrant(AuthorizationCodeGrant):
    """The authorization code grant, with codes kept in the emulator's state."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def save_authorization_code(self, code, request):
        data = request.payload.data
        current().store.add_code(
            code,
            {
                "client_id": request.client.get_client_id(),
                "environment_id": g.env_id,
                "redirect_uri": request.payload.redirect_uri,
                "scope": request.scope,
                "nonce": data.get("nonce"),
                "code_challenge": data.get("code_challenge"),
                "code_challenge_method": data.get("code_challenge_method"),
                "user_sub": request.user.sub,
                "sid": g.session_id,
                "auth_time": g.auth_time,
                "expires_at": time.time() + current().settings["code_ttl_seconds"],
            },
        )

    def query_authorization_code(self, code, client):
        record = current().store.take_code(code)
        if (
            not record
            or record["client_id"] != client.get_client_id()
            or record["environment_id"] != g.env_id
            or record["expires_at"] < time.time()
        ):
            return None
        return IssuedCode(code, record)

    def delete_authorization_code(self, authorization_code):
        pass  # already forgotten when it was looked up

    def authenticate_user(self, authorization_code):
        return current().user(sub=authorization_code.record["user_sub"])


class RefreshGrant(RefreshTokenGrant):
    """Rolling refresh tokens, as PingOne issues them."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        record = current().store.token_by_refresh(refresh_token)
        if (
            not record
            or record.get("refresh_revoked")
            or record["environment_id"] != g.env_id
            or record["refresh_expires_at"] < time.time()
        ):
            return None
        return IssuedToken(record)

    def authenticate_user(self, refresh_token):
        return current().user(sub=refresh_token.record["user_sub"])

    def revoke_old_credential(self, refresh_token):
        current().store.revoke_refresh(refresh_token.record["refresh_token"])


class WorkerGrant(ClientCredentialsGrant):
    """client_credentials for worker apps, with basic or post client authentication."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS


def _query_client(client_id):
    application = current().application(client_id, g.env_id)
    return Client(application) if application else None


def _access_token(client, grant_type, user, scope):
    emulator = current()
    now = int(time.time())
    return emulator.key.sign(
        {
            "jti": str(uuid.uuid4()),
            "iss": emulator.issuer(g.env_id),
            "sub": user.sub if user else client.get_client_id(),
            "aud": [f"{emulator.base_url}/v1"],
            "client_id": client.get_client_id(),
            "scope": scope or "",
            "env": g.env_id,
            "org": ORGANIZATION,
            "iat": now,
            "exp": now + emulator.settings["access_token_ttl_seconds"],
        }
    )


def _refresh_token(client, grant_type, user, scope):
    return generate_token(48)


def _expires_in(client, grant_type):
    return current().settings["access_token_ttl_seconds"]


def _save_token(token, request):
    now = time.time()
    previous = getattr(request, "refresh_token", None)
    code = getattr(request, "authorization_code", None)
    source = code or previous
    # The sign-in a user's token continues; a worker's token has none.
    sign_in = source.record if source else {}
    current().store.add_token(
        {
            "access_token": token["access_token"],
            "refresh_token": token.get("refresh_token"),
            "scope": token.get("scope", ""),
            "grant_type": request.payload.grant_type,
            "client_id": request.client.get_client_id(),
            "client_type": request.client.application.type,
            "environment_id": g.env_id,
            "user_sub": request.user.sub if request.user else None,
            "sid": sign_in.get("sid"),
            "auth_time": sign_in.get("auth_time"),
            "issued_at": now,
            "expires_at": now + token["expires_in"],
            "refresh_expires_at": now + REFRESH_TOKEN_TTL,
        }
    )


def create_authorization_server(app):
    """Return an authlib AuthorizationServer serving every environment of the emulator."""
    server = AuthorizationServer(query_client=_query_client, save_token=_save_token)
    server.init_app(app)
    server.register_token_generator(
        "default", BearerTokenGenerator(_access_token, _refresh_token, _expires_in)
    )
    server.register_grant(CodeGrant, [S256Required(), EmulatorOpenIDCode(require_nonce=False)])
    server.register_grant(RefreshGrant, [RefreshedIDToken()])
    server.register_grant(WorkerGrant)
    return server
