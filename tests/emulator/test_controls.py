"""The emulator's test controls, fault injection, request log, reset and persistence."""

import io
import json
import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from PIL import Image

from tests import images
from tests.emulator_support import EmulatorProcess
from tests.ids import ADMINISTRATORS, PRODUCTION, STAGING, WORKER_CLIENT_ID, WORKER_CLIENT_SECRET

DESIGNER = "designer@example.com"


def create(emulator, token=None):
    """POST a PNG to Production's Images API."""
    return emulator.create_image(PRODUCTION, images.png(), token)


def current_groups(emulator):
    """Each user's groups, as GET /__emulator__/config shows them now."""
    config = requests.get(f"{emulator.base_url}/__emulator__/config", timeout=10).json()
    return {user["username"]: user["groups"] for user in config["users"]}


def userinfo(emulator, access_token):
    """The userinfo answer for a signed-in user's access token."""
    answer = requests.get(
        f"{emulator.issuer(ADMINISTRATORS)}/userinfo",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


def refresh(emulator, refresh_token):
    """Run the refresh_token grant as the portal's app; return the token response."""
    web = emulator.app("oidc_web")
    answer = requests.post(
        f"{emulator.issuer(ADMINISTRATORS)}/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(web["client_id"], web["client_secret"]),
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


def id_token_claims(emulator, id_token):
    """The claims of an ID token, once its signature is checked against the jwks."""
    keys = requests.get(f"{emulator.issuer(ADMINISTRATORS)}/jwks", timeout=10).json()
    return jwt.decode(id_token, KeySet.import_key_set(keys), algorithms=["RS256"]).claims


def test_config_lists_the_default_environments_apps_and_users(emulator):
    config = requests.get(f"{emulator.base_url}/__emulator__/config", timeout=10).json()
    assert [(e["name"], e["id"]) for e in config["environments"]] == [
        ("Administrators", ADMINISTRATORS),
        ("Production", PRODUCTION),
        ("Staging", STAGING),
    ]
    web, worker, *customer_portals = config["applications"]
    assert web == {
        "name": "Image Portal",
        "type": "oidc_web",
        "environment_id": ADMINISTRATORS,
        "client_id": "9d4e3f91-a062-4f5d-8e41-3abc5d9f7b04",
        "client_secret": "dev-portal-oidc-secret",
        "redirect_uris": [
            "http://127.0.0.1:8000/auth/callback/",
            "http://localhost:8000/auth/callback/",
        ],
        "post_logout_redirect_uris": ["http://127.0.0.1:8000/", "http://localhost:8000/"],
    }
    assert worker == {
        "name": "Image Portal Worker",
        "type": "worker",
        "environment_id": ADMINISTRATORS,
        "client_id": WORKER_CLIENT_ID,
        "client_secret": WORKER_CLIENT_SECRET,
        "redirect_uris": [],
        "post_logout_redirect_uris": [],
    }
    assert [(a["name"], a["type"], a["environment_id"]) for a in customer_portals] == [
        ("Customer Portal", "oidc_web", PRODUCTION),
        ("Customer Portal", "oidc_web", STAGING),
    ]
    users = {u["username"]: u for u in config["users"]}
    assert users["designer@example.com"]["groups"] == ["Branding"]
    assert users["admin@example.com"]["groups"] == ["Image Portal Admins"]
    assert users["outsider@example.com"]["groups"] == []
    assert {u["password"] for u in users.values()} == {"password"}
    assert {u["email"] for u in users.values()} == set(users)


def test_the_startup_output_shows_the_configuration(emulator):
    output = emulator.output()
    assert f"listening on {emulator.base_url}" in output
    assert WORKER_CLIENT_SECRET in output
    assert f"{emulator.base_url}/{ADMINISTRATORS}/as/.well-known/openid-configuration" in output


def test_a_status_fault_answers_count_times_then_stops(emulator):
    fault = emulator.add_fault(path="/images$", status=503, retry_after=3, count=2)
    assert fault["count"] == 2
    token = emulator.worker_token()
    first, second, third = (create(emulator, token) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 201)
    assert first.headers["Retry-After"] == "3"
    body = first.json()
    assert {"id", "code", "message"} <= set(body)
    assert first.headers["Correlation-Id"]


def test_a_fault_only_hits_its_method(emulator):
    token = emulator.worker_token()
    image_id = create(emulator, token).json()["id"]
    emulator.add_fault(path="/images", method="DELETE", status=500)
    url = f"{emulator.api_url}/environments/{PRODUCTION}/images/{image_id}"
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    assert create(emulator, token).status_code == 201
    failed = requests.delete(url, headers=headers, timeout=10)
    assert failed.status_code == 500
    assert failed.json()["code"] == "UNEXPECTED_ERROR"
    assert requests.delete(url, headers=headers, timeout=10).status_code == 204


def test_a_latency_fault_delays_then_answers_normally(emulator):
    token = emulator.worker_token()
    emulator.add_fault(path="/images$", latency_ms=400)
    started = time.monotonic()
    answer = create(emulator, token)
    assert time.monotonic() - started >= 0.4
    assert answer.status_code == 201
    assert create(emulator, token).status_code == 201


def test_a_drop_fault_closes_the_connection_without_an_answer(emulator):
    token = emulator.worker_token()
    emulator.add_fault(path="/images$", drop=True)
    with pytest.raises(requests.ConnectionError):
        create(emulator, token)
    assert create(emulator, token).status_code == 201
    assert emulator.images(PRODUCTION)[0]["id"]
    assert len(emulator.images(PRODUCTION)) == 1
    dropped = [e for e in emulator.requests_log() if e["status"] is None]
    assert [(e["method"], e["path"]) for e in dropped] == [("POST", f"/v1/environments/{PRODUCTION}/images")]


def test_a_fault_applies_before_routing_and_to_oidc_too(emulator):
    emulator.add_fault(path="/as/token$", status=429, retry_after=1)
    answer = requests.post(
        f"{emulator.issuer(ADMINISTRATORS)}/token",
        data={"grant_type": "client_credentials"},
        timeout=10,
    )
    assert answer.status_code == 429
    assert answer.json()["code"] == "REQUEST_LIMITED"
    emulator.add_fault(path="^/no/such/route$", status=400)
    assert requests.get(f"{emulator.base_url}/no/such/route", timeout=10).json()["code"] == ("INVALID_DATA")


def test_faults_never_touch_the_controls(emulator):
    emulator.add_fault(path="", status=500, count=5)
    assert requests.get(f"{emulator.base_url}/__emulator__/config", timeout=10).ok
    emulator.clear_faults()
    assert create(emulator).status_code == 201


def test_clearing_faults_forgets_them(emulator):
    emulator.add_fault(path="/images", status=500, count=10)
    emulator.clear_faults()
    assert create(emulator).status_code == 201


def test_a_fault_needs_a_path(emulator):
    answer = requests.post(f"{emulator.base_url}/__emulator__/faults", json={}, timeout=10)
    assert answer.status_code == 400


@pytest.mark.parametrize(
    "fault, word",
    [
        ({"path": "/images$", "count": "two"}, "count"),
        ({"path": "/images$", "count": 0}, "count"),
        ({"path": "/images$", "status": "500"}, "status"),
        ({"path": "/images$", "status": 42}, "status"),
        ({"path": "/images$", "latency_ms": "slow"}, "latency_ms"),
        ({"path": "/images$", "retry_after": -1}, "retry_after"),
        ({"path": "/images(["}, "regular expression"),
    ],
)
def test_a_fault_with_a_bad_field_is_refused_with_a_sentence_and_nothing_is_registered(emulator, fault, word):
    answer = requests.post(f"{emulator.base_url}/__emulator__/faults", json=fault, timeout=10)
    assert answer.status_code == 400
    assert word in answer.json()["message"]
    assert create(emulator).status_code == 201  # no fault was left behind


def test_the_request_log_lists_non_control_requests(emulator):
    token = emulator.worker_token()
    create(emulator, token)
    requests.get(f"{emulator.api_url}/environments/{PRODUCTION}/images", timeout=10)
    log = emulator.requests_log()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("POST", f"/{ADMINISTRATORS}/as/token", 200),
        ("POST", f"/v1/environments/{PRODUCTION}/images", 201),
        ("GET", f"/v1/environments/{PRODUCTION}/images", 405),
    ]
    assert all(e["time"].endswith("Z") for e in log)


def test_reset_forgets_images_tokens_faults_and_the_log(emulator):
    token = emulator.worker_token()
    created = create(emulator, token).json()
    emulator.add_fault(path="/images", status=500, count=5)
    emulator.reset()
    assert emulator.images(PRODUCTION) == []
    assert emulator.requests_log() == []
    assert requests.get(created["targets"]["original"]["href"], timeout=10).status_code == 404
    assert create(emulator, token).status_code == 401
    assert create(emulator).status_code == 201


def test_reset_keeps_the_signing_key(emulator):
    url = f"{emulator.issuer(ADMINISTRATORS)}/jwks"
    before = requests.get(url, timeout=10).json()
    emulator.reset()
    assert requests.get(url, timeout=10).json() == before


def test_received_bytes_are_served_for_each_image(emulator):
    data = images.png((20, 10))
    image_id = emulator.create_image(PRODUCTION, data).json()["id"]
    assert emulator.received(PRODUCTION, image_id) == data
    missing = requests.get(
        f"{emulator.base_url}/__emulator__/environments/{STAGING}/images/{image_id}/received",
        timeout=10,
    )
    assert missing.status_code == 404


def test_changed_groups_reach_userinfo_and_a_refreshed_id_token(emulator):
    groups = ["Branding", "Image Portal Admins"]
    signed_in = emulator.user_tokens(DESIGNER)
    before = id_token_claims(emulator, signed_in["id_token"])
    assert before["groups"] == ["Branding"]
    assert emulator.set_groups(DESIGNER, groups)["groups"] == groups
    assert userinfo(emulator, signed_in["access_token"])["groups"] == groups
    refreshed = refresh(emulator, signed_in["refresh_token"])
    after = id_token_claims(emulator, refreshed["id_token"])
    assert after["groups"] == groups
    same_sign_in = ("sub", "sid", "auth_time")
    assert [after[claim] for claim in same_sign_in] == [before[claim] for claim in same_sign_in]
    assert userinfo(emulator, refreshed["access_token"])["groups"] == groups


def test_changed_groups_reach_a_new_sign_in_and_the_config(emulator):
    emulator.set_groups("outsider@example.com", ["Branding"])
    signed_in = emulator.user_tokens("outsider@example.com")
    assert id_token_claims(emulator, signed_in["id_token"])["groups"] == ["Branding"]
    assert current_groups(emulator) == {
        DESIGNER: ["Branding"],
        "admin@example.com": ["Image Portal Admins"],
        "outsider@example.com": ["Branding"],
    }


def test_groups_of_an_unknown_user_are_404(emulator):
    answer = requests.post(
        f"{emulator.base_url}/__emulator__/users/nobody@example.com", json={"groups": []}, timeout=10
    )
    assert answer.status_code == 404
    assert answer.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "body",
    ["{}", '{"groups": "Branding"}', '{"groups": ["Branding", 7]}', '["Branding"]', "groups=Branding"],
    ids=["no-groups", "a-string", "not-all-strings", "a-list", "not-json"],
)
def test_groups_must_be_a_list_of_strings(emulator, body):
    answer = requests.post(
        f"{emulator.base_url}/__emulator__/users/{DESIGNER}",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "INVALID_DATA"
    assert current_groups(emulator)[DESIGNER] == ["Branding"]


def test_reset_restores_the_configured_groups(emulator):
    emulator.set_groups(DESIGNER, [])
    assert current_groups(emulator)[DESIGNER] == []
    emulator.reset()
    assert current_groups(emulator)[DESIGNER] == ["Branding"]
    signed_in = emulator.user_tokens(DESIGNER)
    assert id_token_claims(emulator, signed_in["id_token"])["groups"] == ["Branding"]


def test_state_survives_a_restart_with_a_data_dir(tmp_path):
    with EmulatorProcess(data_dir=tmp_path) as first:
        jwks = requests.get(f"{first.issuer(ADMINISTRATORS)}/jwks", timeout=10).json()
        token = first.worker_token()
        created = create(first, token).json()
        user = first.user_tokens(DESIGNER)
        first.set_groups(DESIGNER, ["Branding", "Reviewers"])
        port = first.port
    with EmulatorProcess(port=port, data_dir=tmp_path) as second:
        assert requests.get(f"{second.issuer(ADMINISTRATORS)}/jwks", timeout=10).json() == jwks
        read = requests.get(
            created["_links"]["self"]["href"],
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert read.status_code == 200
        assert read.json() == created
        hosted = requests.get(created["targets"]["original"]["href"], timeout=10)
        assert Image.open(io.BytesIO(hosted.content)).size == (32, 24)
        assert userinfo(second, user["access_token"])["groups"] == ["Branding", "Reviewers"]
        assert current_groups(second)[DESIGNER] == ["Branding", "Reviewers"]
        assert len(second.images(PRODUCTION)) == 1


def test_a_config_file_replaces_the_default_and_wins_over_the_data_dir(tmp_path):
    only = "11111111-2222-4333-8444-555555555555"
    config = {
        "environments": [{"name": "Only", "id": only}],
        "applications": [
            {
                "name": "Robot",
                "type": "worker",
                "environment_id": only,
                "client_id": "robot",
                "client_secret": "robot-secret",
            }
        ],
        "users": [],
        "settings": {"image_max_bytes": 100},
    }
    data_dir = tmp_path / "data"
    with EmulatorProcess(data_dir=data_dir):
        pass
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    with EmulatorProcess(data_dir=data_dir, config_path=config_path) as custom:
        assert [e["name"] for e in custom.config["environments"]] == ["Only"]
        assert custom.config["settings"]["image_max_bytes"] == 100
        token = custom.worker_token()
        answer = custom.create_image(only, b"x" * 101, token)
        assert answer.json()["details"][0]["innerError"]["maximumValue"] == 100, answer.text


def test_a_broken_config_file_fails_at_start(tmp_path):
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps({"environments": []}))
    with pytest.raises(RuntimeError, match="invalid configuration"):
        EmulatorProcess(config_path=config_path, start_timeout=5).start()


def test_public_url_sets_the_issuer_and_hrefs():
    with EmulatorProcess(extra_args=["--public-url", "http://emulator.test:8900/"]) as public:
        meta = requests.get(
            f"{public.issuer(ADMINISTRATORS)}/.well-known/openid-configuration", timeout=10
        ).json()
        assert meta["issuer"] == f"http://emulator.test:8900/{ADMINISTRATORS}/as"
        body = create(public).json()
        assert body["targets"]["original"]["href"].startswith(
            f"http://emulator.test:8900/uploads/environments/{PRODUCTION}/images/"
        )
