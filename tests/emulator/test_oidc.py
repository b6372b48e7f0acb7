"""The emulator's OpenID Connect provider, driven over HTTP by independent clients."""

import time
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from tests.emulator_support import EmulatorProcess
from tests.html_forms import parse_form, submit_sign_in_form
from tests.ids import ADMINISTRATORS, PRODUCTION

SCOPE = "openid profile email"
MANY_GROUPS = [f"Group {n:02d}" for n in range(30)]


@pytest.fixture(scope="module")
def short_lived(default_emulator):
    """An emulator whose codes live one second and with a user in 30 groups."""
    config = dict(default_emulator.config)
    config["users"] = config["users"] + [
        {"username": "crowd@example.com", "password": "password", "groups": MANY_GROUPS}
    ]
    config["settings"] = {"code_ttl_seconds": 1}
    with EmulatorProcess(config=config) as running:
        yield running


class Browser:
    """A requests session that signs in through the emulator's HTML form."""

    def __init__(self):
        self.session = requests.Session()

    def open(self, url):
        return self.session.get(url, allow_redirects=False, timeout=10)

    def submit(self, page, username="", password="", deny=False):
        """Fill and press the sign-in form on `page`: Sign On, or Cancel with `deny`."""
        return submit_sign_in_form(self.session, page, username, password, deny=deny, allow_redirects=False)


def client_for(emulator, **kwargs):
    web = emulator.app("oidc_web")
    return OAuth2Session(
        web["client_id"],
        web["client_secret"],
        scope=SCOPE,
        redirect_uri=web["redirect_uris"][0],
        code_challenge_method="S256",
        **kwargs,
    )


def issuer_of(emulator):
    return emulator.issuer(emulator.app("oidc_web")["environment_id"])


def start_sign_in(emulator, client=None):
    """Return (client, authorization URL, state, verifier, nonce)."""
    client = client or client_for(emulator)
    verifier = generate_token(48)
    nonce = generate_token(16)
    url, state = client.create_authorization_url(
        f"{issuer_of(emulator)}/authorize", code_verifier=verifier, nonce=nonce
    )
    return client, url, state, verifier, nonce


def sign_in(emulator, browser=None, username="designer@example.com", client=None):
    """Run the browser part of the code flow; return (client, callback URL, verifier, nonce)."""
    browser = browser or Browser()
    client, url, state, verifier, nonce = start_sign_in(emulator, client)
    page = browser.open(url)
    assert page.status_code == 200
    answer = browser.submit(page, username, "password")
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert parse_qs(urlparse(location).query)["state"] == [state]
    return client, location, verifier, nonce


def exchange(emulator, client, location, verifier):
    return client.fetch_token(
        f"{issuer_of(emulator)}/token", authorization_response=location, code_verifier=verifier
    )


def verify_id_token(emulator, id_token, nonce):
    keys = requests.get(f"{issuer_of(emulator)}/jwks", timeout=10).json()
    token = jwt.decode(id_token, KeySet.import_key_set(keys), algorithms=["RS256"])
    assert token.header["alg"] == "RS256"
    assert token.header["kid"] in {k["kid"] for k in keys["keys"]}
    JWTClaimsRegistry(
        iss={"essential": True, "value": issuer_of(emulator)},
        aud={"essential": True, "value": emulator.app("oidc_web")["client_id"]},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    ).validate(token.claims)
    return token.claims


def query_of(response):
    return parse_qs(urlparse(response.headers["Location"]).query)


def test_discovery_lists_the_endpoints_and_s256(emulator):
    issuer = emulator.issuer(ADMINISTRATORS)
    response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
    assert response.headers["Correlation-Id"]
    meta = response.json()
    assert meta["issuer"] == issuer
    assert meta["authorization_endpoint"] == f"{issuer}/authorize"
    assert meta["token_endpoint"] == f"{issuer}/token"
    assert meta["userinfo_endpoint"] == f"{issuer}/userinfo"
    assert meta["jwks_uri"] == f"{issuer}/jwks"
    assert meta["end_session_endpoint"] == f"{issuer}/signoff"
    assert meta["response_types_supported"] == ["code"]
    assert meta["subject_types_supported"] == ["public"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "S256" in meta["code_challenge_methods_supported"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }
    assert {"authorization_code", "refresh_token", "client_credentials"} <= set(meta["grant_types_supported"])
    assert "groups" in meta["claims_supported"]


def test_issuer_stays_fixed_whatever_the_host_name(emulator):
    url = f"http://localhost:{emulator.port}/{ADMINISTRATORS}/as/.well-known/openid-configuration"
    assert requests.get(url, timeout=10).json()["issuer"] == emulator.issuer(ADMINISTRATORS)


def test_unknown_environment_answers_a_pingone_404(emulator):
    response = requests.get(f"{emulator.base_url}/{uuid.uuid4()}/as/jwks", timeout=10)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_code_flow_with_pkce_gives_a_verified_id_token(emulator):
    client, location, verifier, nonce = sign_in(emulator)
    token = exchange(emulator, client, location, verifier)
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    claims = verify_id_token(emulator, token["id_token"], nonce)
    designer = emulator.user("designer@example.com")
    assert claims["sub"] == designer["sub"]
    assert claims["groups"] == ["Branding"]
    assert claims["email"] == "designer@example.com"
    assert claims["preferred_username"] == "designer@example.com"
    assert claims["name"] == "Dana Designer"
    assert claims["given_name"] == "Dana"
    assert claims["family_name"] == "Designer"
    assert claims["env"] == ADMINISTRATORS
    assert claims["sid"] and claims["org"] and claims["auth_time"]


def test_userinfo_answers_for_a_signed_in_users_token(emulator):
    client, location, verifier, _ = sign_in(emulator, username="admin@example.com")
    exchange(emulator, client, location, verifier)
    info = client.get(f"{issuer_of(emulator)}/userinfo", timeout=10).json()
    assert info["sub"] == emulator.user("admin@example.com")["sub"]
    assert info["groups"] == ["Image Portal Admins"]
    assert info["email"] == "admin@example.com"
    assert info["env"] == ADMINISTRATORS


def test_userinfo_refuses_a_worker_token_and_garbage(emulator):
    url = f"{issuer_of(emulator)}/userinfo"
    worker = requests.get(url, headers={"Authorization": f"Bearer {emulator.worker_token()}"}, timeout=10)
    assert worker.status_code == 401
    garbage = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert garbage.status_code == 401


def test_refresh_token_gives_new_tokens_and_rolls(emulator):
    client, location, verifier, _ = sign_in(emulator)
    first = exchange(emulator, client, location, verifier)
    second = client.refresh_token(f"{issuer_of(emulator)}/token", refresh_token=first["refresh_token"])
    assert second["access_token"] != first["access_token"]
    assert second["expires_in"] == 3600
    info = requests.get(
        f"{issuer_of(emulator)}/userinfo",
        headers={"Authorization": f"Bearer {second['access_token']}"},
        timeout=10,
    )
    assert info.status_code == 200
    web = emulator.app("oidc_web")
    reused = requests.post(
        f"{issuer_of(emulator)}/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(web["client_id"], web["client_secret"]),
        timeout=10,
    )
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


def test_a_second_authorize_with_the_session_cookie_skips_the_form(emulator):
    browser = Browser()
    sign_in(emulator, browser)
    _, url, state, _, _ = start_sign_in(emulator)
    answer = browser.open(url)
    assert answer.status_code == 302
    assert query_of(answer)["state"] == [state]
    assert "code" in query_of(answer)
    assert not any(c.name in ("sessionid", "csrftoken", "session") for c in browser.session.cookies)


def test_wrong_password_shows_the_form_again(emulator):
    browser = Browser()
    _, url, _, _, _ = start_sign_in(emulator)
    page = browser.open(url)
    answer = browser.submit(page, "designer@example.com", "nope")
    assert answer.status_code == 200
    assert "Incorrect username or password" in answer.text
    assert {"username", "password"} <= set(parse_form(answer.text).fields)


def test_cancel_redirects_with_access_denied(emulator):
    browser = Browser()
    _, url, state, _, _ = start_sign_in(emulator)
    page = browser.open(url)
    answer = browser.submit(page, deny=True)
    assert answer.status_code == 302
    assert query_of(answer)["error"] == ["access_denied"]
    assert query_of(answer)["state"] == [state]


def authorize_params(emulator, **overrides):
    web = emulator.app("oidc_web")
    params = {
        "response_type": "code",
        "client_id": web["client_id"],
        "redirect_uri": web["redirect_uris"][0],
        "scope": SCOPE,
        "state": "st4te",
        "code_challenge": create_s256_code_challenge(generate_token(48)),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def authorize(emulator, **overrides):
    """GET the authorize endpoint with the usual parameters, some overridden; no redirects."""
    return requests.get(
        f"{issuer_of(emulator)}/authorize",
        params=authorize_params(emulator, **overrides),
        allow_redirects=False,
        timeout=10,
    )


def test_authorize_without_code_challenge_is_refused(emulator):
    answer = authorize(emulator, code_challenge=None, code_challenge_method=None)
    assert answer.status_code == 302
    assert query_of(answer)["error"] == ["invalid_request"]
    assert query_of(answer)["state"] == ["st4te"]


@pytest.mark.parametrize("method", ["plain", None])
def test_authorize_with_a_plain_challenge_is_refused(emulator, method):
    answer = authorize(emulator, code_challenge="a" * 43, code_challenge_method=method)
    assert answer.status_code == 302
    assert query_of(answer)["error"] == ["invalid_request"]


def test_authorize_with_another_response_type_is_refused(emulator):
    answer = authorize(emulator, response_type="token")
    assert answer.status_code == 302
    assert query_of(answer)["error"] == ["unsupported_response_type"]
    assert query_of(answer)["state"] == ["st4te"]


def test_authorize_with_an_unregistered_redirect_uri_never_redirects(emulator):
    answer = authorize(emulator, redirect_uri="http://evil.example/callback")
    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert "redirect_uri" in answer.text


def test_authorize_with_an_unknown_client_never_redirects(emulator):
    answer = authorize(emulator, client_id="not-a-client")
    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_authorize_refuses_the_worker_app(emulator):
    answer = authorize(emulator, client_id=emulator.app("worker")["client_id"])
    assert answer.status_code == 400


def raw_code_exchange(emulator, location, verifier=None, redirect_index=0, secret=None):
    """POST the code to the token endpoint by hand, so each parameter can be wrong."""
    web = emulator.app("oidc_web")
    data = {
        "grant_type": "authorization_code",
        "code": parse_qs(urlparse(location).query)["code"][0],
        "redirect_uri": web["redirect_uris"][redirect_index],
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    return requests.post(
        f"{issuer_of(emulator)}/token",
        data=data,
        auth=(web["client_id"], secret or web["client_secret"]),
        timeout=10,
    )


def test_token_without_verifier_is_refused(emulator):
    _, location, _, _ = sign_in(emulator)
    answer = raw_code_exchange(emulator, location)
    assert answer.status_code == 400
    assert answer.json()["error"] in ("invalid_request", "invalid_grant")


def test_token_with_a_wrong_verifier_is_refused(emulator):
    client, location, _, _ = sign_in(emulator)
    with pytest.raises(Exception, match="invalid_grant"):
        exchange(emulator, client, location, generate_token(48))


def test_token_with_a_wrong_redirect_uri_is_refused(emulator):
    _, location, verifier, _ = sign_in(emulator)
    answer = raw_code_exchange(emulator, location, verifier, redirect_index=1)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_token_with_a_wrong_client_secret_is_refused(emulator):
    _, location, verifier, _ = sign_in(emulator)
    answer = raw_code_exchange(emulator, location, verifier, secret="wrong-secret")
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_a_code_works_only_once(emulator):
    client, location, verifier, _ = sign_in(emulator)
    exchange(emulator, client, location, verifier)
    with pytest.raises(Exception, match="invalid_grant"):
        exchange(emulator, client, location, verifier)


def test_an_expired_code_is_refused(short_lived):
    client, location, verifier, _ = sign_in(short_lived)
    time.sleep(1.2)
    with pytest.raises(Exception, match="invalid_grant"):
        exchange(short_lived, client, location, verifier)


def test_more_than_25_groups_become_size_limit_exceeded_in_the_id_token(short_lived):
    client, location, verifier, nonce = sign_in(short_lived, username="crowd@example.com")
    token = exchange(short_lived, client, location, verifier)
    claims = verify_id_token(short_lived, token["id_token"], nonce)
    assert claims["groups"] == "[SIZE_LIMIT_EXCEEDED]"
    info = client.get(f"{issuer_of(short_lived)}/userinfo", timeout=10).json()
    assert info["groups"] == MANY_GROUPS


def test_signoff_redirects_with_state_and_ends_the_session(emulator):
    browser = Browser()
    client, location, verifier, _ = sign_in(emulator, browser)
    id_token = exchange(emulator, client, location, verifier)["id_token"]
    post_logout = emulator.app("oidc_web")["post_logout_redirect_uris"][0]
    answer = browser.session.get(
        f"{issuer_of(emulator)}/signoff",
        params={"id_token_hint": id_token, "post_logout_redirect_uri": post_logout, "state": "bye"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(post_logout)
    assert query_of(answer)["state"] == ["bye"]
    _, url, _, _, _ = start_sign_in(emulator)
    page = browser.open(url)
    assert page.status_code == 200
    assert {"username", "password"} <= set(parse_form(page.text).fields)


def test_signoff_refuses_an_unregistered_post_logout_uri(emulator):
    client, location, verifier, _ = sign_in(emulator)
    id_token = exchange(emulator, client, location, verifier)["id_token"]
    answer = requests.get(
        f"{issuer_of(emulator)}/signoff",
        params={"id_token_hint": id_token, "post_logout_redirect_uri": "http://evil.example/"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_signoff_accepts_an_expired_id_token_hint(default_emulator):
    config = dict(default_emulator.config, settings={"access_token_ttl_seconds": 1})
    with EmulatorProcess(config=config) as short:
        client, location, verifier, _ = sign_in(short)
        id_token = exchange(short, client, location, verifier)["id_token"]
        time.sleep(2.1)
        post_logout = short.app("oidc_web")["post_logout_redirect_uris"][1]
        answer = requests.get(
            f"{issuer_of(short)}/signoff",
            params={"id_token_hint": id_token, "post_logout_redirect_uri": post_logout},
            allow_redirects=False,
            timeout=10,
        )
    assert answer.status_code == 302
    assert answer.headers["Location"] == post_logout


def test_signoff_refuses_a_forged_id_token_hint(emulator):
    post_logout = emulator.app("oidc_web")["post_logout_redirect_uris"][0]
    answer = requests.get(
        f"{issuer_of(emulator)}/signoff",
        params={"id_token_hint": "eyJhbGciOiJub25lIn0.e30.", "post_logout_redirect_uri": post_logout},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_signoff_without_a_redirect_shows_a_signed_out_page(emulator):
    answer = requests.get(f"{issuer_of(emulator)}/signoff", timeout=10)
    assert answer.status_code == 200
    assert "signed out" in answer.text.lower()


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_client_credentials_works_with_basic_and_post(emulator, auth_method):
    worker = emulator.app("worker")
    client = OAuth2Session(
        worker["client_id"], worker["client_secret"], token_endpoint_auth_method=auth_method
    )
    token = client.fetch_token(
        f"{emulator.issuer(worker['environment_id'])}/token", grant_type="client_credentials"
    )
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert "refresh_token" not in token
    answer = client.get(f"{emulator.images_url(PRODUCTION)}/missing", timeout=10)
    assert answer.status_code == 404


def test_client_credentials_with_a_wrong_secret_is_401(emulator):
    worker = emulator.app("worker")
    url = f"{emulator.issuer(worker['environment_id'])}/token"
    basic = requests.post(
        url, data={"grant_type": "client_credentials"}, auth=(worker["client_id"], "x"), timeout=10
    )
    post = requests.post(
        url,
        data={
            "grant_type": "client_credentials",
            "client_id": worker["client_id"],
            "client_secret": "x",
        },
        timeout=10,
    )
    assert (basic.status_code, basic.json()["error"]) == (401, "invalid_client")
    assert (post.status_code, post.json()["error"]) == (401, "invalid_client")


def test_the_oidc_app_cannot_use_client_credentials(emulator):
    web = emulator.app("oidc_web")
    answer = requests.post(
        f"{issuer_of(emulator)}/token",
        data={"grant_type": "client_credentials"},
        auth=(web["client_id"], web["client_secret"]),
        timeout=10,
    )
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] == "unauthorized_client"
