"""The emulator's branding APIs (settings, themes, applications) and the themed sign-in page."""

import copy
import json
import secrets
import uuid

import pytest
import requests

from tests import images
from tests.emulator_support import EmulatorProcess
from tests.html_forms import parse_form
from tests.ids import ADMINISTRATORS, PRODUCTION, STAGING

PING_DEFAULT_COLOURS = {
    "buttonColor": "#2996cc",
    "buttonTextColor": "#ffffff",
    "bodyTextColor": "#686f77",
    "headingTextColor": "#686f77",
    "linkTextColor": "#2996cc",
    "cardColor": "#ffffff",
    "backgroundColor": "#ededed",
}
IMAGE = {"id": "0b7c5a3e-2f1d-4e6a-9c8b-7d6e5f4a3b21", "href": "https://uploads.example.com/logo.png"}
SPRING = {
    "template": "split",
    "default": False,
    "configuration": {
        "name": "Spring",
        "logoType": "NONE",
        "backgroundType": "COLOR",
        "backgroundColor": "#102030",
        "buttonColor": "#aa3300",
        "buttonTextColor": "#fff",
        "linkTextColor": "#0055aa",
        "cardColor": "#fafafa",
        "bodyTextColor": "#333333",
        "headingTextColor": "#111",
        "footer": "Spring footer",
    },
}


@pytest.fixture
def api(emulator):
    """Call the branding API of an environment with one worker token: api(method, env_id, path, json)."""
    token = emulator.worker_token()

    def call(method, env_id, path, json=None, **kwargs):
        answer = emulator.api(method, f"/environments/{env_id}{path}", json=json, token=token, **kwargs)
        assert uuid.UUID(answer.headers["Correlation-Id"])
        return answer

    return call


def ok(answer, status=200):
    """The JSON of a successful answer, after checking its status."""
    assert answer.status_code == status, answer.text
    return answer.json()


def pingone_error(answer, status, code):
    """The body of a PingOne error answer, after checking its status, code, id and message."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["code"] == code
    assert uuid.UUID(body["id"])
    assert body["message"]
    return body


def themes(api, env_id):
    """The themes of an environment, as the API lists them."""
    return ok(api("GET", env_id, "/themes"))["_embedded"]["themes"]


def active_theme(api, env_id):
    """The environment's one active theme."""
    [active] = [theme for theme in themes(api, env_id) if theme["default"]]
    return active


def create_theme(api, env_id, theme=SPRING):
    """POST a theme; return what PingOne answered."""
    return ok(api("POST", env_id, "/themes", json=theme), 201)


def application(api, env_id, name):
    """The first application of an environment with this name."""
    apps = ok(api("GET", env_id, "/applications"))["_embedded"]["applications"]
    return next(app for app in apps if app["name"] == name)


def with_config(theme, **changes):
    """A copy of a theme with some configuration keys changed (None removes one)."""
    changed = copy.deepcopy(theme)
    for key, value in changes.items():
        if value is None:
            changed["configuration"].pop(key, None)
        else:
            changed["configuration"][key] = value
    return changed


def without(body, key):
    """A copy of a body without one top-level key."""
    return {k: v for k, v in copy.deepcopy(body).items() if k != key}


def sign_in_page(emulator):
    """The portal's sign-in page in Administrators, as a person who is not signed in sees it."""
    web = emulator.app("oidc_web")
    params = {
        "response_type": "code",
        "client_id": web["client_id"],
        "redirect_uri": web["redirect_uris"][0],
        "scope": "openid",
        "state": secrets.token_urlsafe(8),
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    return requests.get(f"{emulator.issuer(web['environment_id'])}/authorize", params=params, timeout=10)


# the defaults


@pytest.mark.parametrize("env_id", [ADMINISTRATORS, PRODUCTION, STAGING])
def test_every_environment_starts_with_ping_default_active_and_empty_settings(emulator, api, env_id):
    listed = ok(api("GET", env_id, "/themes"))
    assert listed["size"] == 1
    assert listed["_links"]["self"]["href"] == f"{emulator.api_url}/environments/{env_id}/themes"
    [theme] = listed["_embedded"]["themes"]
    assert theme["default"] is True
    assert theme["template"] == "default"
    assert theme["environment"] == {"id": env_id}
    assert theme["_links"]["self"]["href"] == f"{emulator.api_url}/environments/{env_id}/themes/{theme['id']}"
    config = theme["configuration"]
    assert config["name"] == "Ping Default"
    assert (config["logoType"], config["backgroundType"]) == ("NONE", "DEFAULT")
    assert {key: config[key] for key in PING_DEFAULT_COLOURS} == PING_DEFAULT_COLOURS
    assert config["footer"]
    assert ok(api("GET", env_id, f"/themes/{theme['id']}")) == theme
    assert ok(api("GET", env_id, f"/themes/{theme['id']}/default"))["default"] is True
    settings = ok(api("GET", env_id, "/brandingSettings"))
    assert settings["id"] == env_id
    assert set(settings) == {"_links", "id"}


def test_ping_default_keeps_its_id_per_environment(emulator, api):
    ids = {env_id: active_theme(api, env_id)["id"] for env_id in (ADMINISTRATORS, PRODUCTION, STAGING)}
    assert len(set(ids.values())) == 3
    emulator.reset()
    with EmulatorProcess() as another:
        assert {env_id: another.branding(env_id)["themes"][0]["id"] for env_id in ids} == ids


@pytest.mark.parametrize("env_id", [PRODUCTION, STAGING])
def test_customer_portal_is_the_application_of_production_and_staging(emulator, api, env_id):
    listed = ok(api("GET", env_id, "/applications"))
    assert listed["size"] == 1
    [app] = listed["_embedded"]["applications"]
    assert app["name"] == "Customer Portal"
    assert (app["type"], app["protocol"], app["enabled"]) == ("WEB_APP", "OPENID_CONNECT", True)
    assert app["environment"] == {"id": env_id}
    assert app["redirectUris"] and app["grantTypes"] == ["AUTHORIZATION_CODE", "REFRESH_TOKEN"]
    assert "icon" not in app
    assert ok(api("GET", env_id, f"/applications/{app['id']}")) == app
    configured = next(
        a
        for a in emulator.config["applications"]
        if a["environment_id"] == env_id and a["type"] == "oidc_web"
    )
    assert app["id"] == configured["client_id"]
    assert configured["client_secret"] not in json.dumps(listed)


def test_administrators_lists_the_portals_own_applications(emulator, api):
    apps = ok(api("GET", ADMINISTRATORS, "/applications"))["_embedded"]["applications"]
    assert [(app["name"], app["type"]) for app in apps] == [
        ("Image Portal", "WEB_APP"),
        ("Image Portal Worker", "WORKER"),
    ]
    assert emulator.app("oidc_web")["name"] == "Image Portal"


def test_the_control_shows_branding_as_the_api_does(emulator, api):
    shown = emulator.branding(PRODUCTION)
    assert set(shown) == {"settings", "themes", "applications"}
    assert shown["settings"] == ok(api("GET", PRODUCTION, "/brandingSettings"))
    assert shown["themes"] == themes(api, PRODUCTION)
    assert shown["applications"] == ok(api("GET", PRODUCTION, "/applications"))["_embedded"]["applications"]
    missing = requests.get(
        f"{emulator.base_url}/__emulator__/environments/{uuid.uuid4()}/branding", timeout=10
    )
    assert missing.status_code == 404


# themes


def test_a_created_theme_can_be_read_replaced_and_deleted(emulator, api):
    created = create_theme(api, PRODUCTION)
    theme_id = created["id"]
    assert uuid.UUID(theme_id)
    assert created["default"] is False
    assert created["environment"] == {"id": PRODUCTION}
    assert created["_links"]["self"]["href"].endswith(f"/environments/{PRODUCTION}/themes/{theme_id}")
    assert (created["template"], created["configuration"]) == (SPRING["template"], SPRING["configuration"])
    assert ok(api("GET", PRODUCTION, f"/themes/{theme_id}")) == created
    assert [theme["id"] for theme in themes(api, PRODUCTION)][1:] == [theme_id]

    replaced = ok(
        api("PUT", PRODUCTION, f"/themes/{theme_id}", json=with_config(created, buttonColor="#00ff00"))
    )
    assert replaced["configuration"]["buttonColor"] == "#00ff00"
    assert ok(api("GET", PRODUCTION, f"/themes/{theme_id}")) == replaced

    deleted = api("DELETE", PRODUCTION, f"/themes/{theme_id}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    pingone_error(api("GET", PRODUCTION, f"/themes/{theme_id}"), 404, "NOT_FOUND")
    assert len(themes(api, PRODUCTION)) == 1
    assert themes(api, STAGING)[0]["configuration"]["name"] == "Ping Default"


def test_a_theme_body_without_default_is_accepted(emulator, api):
    assert create_theme(api, PRODUCTION, without(SPRING, "default"))["default"] is False


def test_default_in_a_theme_body_does_not_make_it_active(emulator, api):
    created = create_theme(api, PRODUCTION, {**SPRING, "default": True})
    assert created["default"] is False
    replaced = ok(api("PUT", PRODUCTION, f"/themes/{created['id']}", json={**created, "default": True}))
    assert replaced["default"] is False
    ping_default = active_theme(api, PRODUCTION)
    assert ping_default["configuration"]["name"] == "Ping Default"
    assert ok(
        api("PUT", PRODUCTION, f"/themes/{ping_default['id']}", json={**ping_default, "default": False})
    )["default"]


def test_a_theme_put_without_the_footer_drops_it(emulator, api):
    theme = active_theme(api, PRODUCTION)
    assert theme["configuration"]["footer"]
    replaced = ok(api("PUT", PRODUCTION, f"/themes/{theme['id']}", json=with_config(theme, footer=None)))
    assert "footer" not in replaced["configuration"]
    assert "footer" not in ok(api("GET", PRODUCTION, f"/themes/{theme['id']}"))["configuration"]


def test_unknown_configuration_keys_survive_a_round_trip(emulator, api):
    theme = active_theme(api, PRODUCTION)
    newer = with_config(theme, schemaVersion=2, footerLinks=[{"label": "Help", "url": "https://example.com"}])
    newer["futureTopLevel"] = {"kept": True}
    ok(api("PUT", PRODUCTION, f"/themes/{theme['id']}", json=newer))
    read = ok(api("GET", PRODUCTION, f"/themes/{theme['id']}"))
    assert read["configuration"]["schemaVersion"] == 2
    assert read["configuration"]["footerLinks"] == [{"label": "Help", "url": "https://example.com"}]
    assert read["futureTopLevel"] == {"kept": True}
    assert read["configuration"] == newer["configuration"]


def test_the_active_theme_cannot_be_deleted(emulator, api):
    theme = active_theme(api, PRODUCTION)
    body = pingone_error(api("DELETE", PRODUCTION, f"/themes/{theme['id']}"), 400, "INVALID_REQUEST")
    assert body["details"][0]["target"] == "default"
    assert ok(api("GET", PRODUCTION, f"/themes/{theme['id']}")) == theme


def test_making_a_theme_active_unsets_the_old_one_which_can_then_be_deleted(emulator, api):
    old = active_theme(api, PRODUCTION)
    new = create_theme(api, PRODUCTION)
    answer = ok(api("PUT", PRODUCTION, f"/themes/{new['id']}/default", json={"default": True}))
    assert answer["default"] is True
    assert answer["_links"]["theme"]["href"].endswith(f"/themes/{new['id']}")
    assert active_theme(api, PRODUCTION)["id"] == new["id"]
    assert ok(api("GET", PRODUCTION, f"/themes/{old['id']}/default"))["default"] is False
    assert ok(api("GET", PRODUCTION, f"/themes/{old['id']}"))["default"] is False
    assert active_theme(api, STAGING)["configuration"]["name"] == "Ping Default"
    assert api("DELETE", PRODUCTION, f"/themes/{old['id']}").status_code == 204
    assert [theme["id"] for theme in themes(api, PRODUCTION)] == [new["id"]]


def test_default_false_is_refused_on_the_active_theme_and_a_no_op_on_another(emulator, api):
    active = active_theme(api, PRODUCTION)
    other = create_theme(api, PRODUCTION)
    body = pingone_error(
        api("PUT", PRODUCTION, f"/themes/{active['id']}/default", json={"default": False}),
        400,
        "INVALID_DATA",
    )
    assert body["details"][0]["target"] == "default"
    assert (
        ok(api("PUT", PRODUCTION, f"/themes/{other['id']}/default", json={"default": False}))["default"]
        is False
    )
    assert active_theme(api, PRODUCTION)["id"] == active["id"]


# validation


LOGO_IMAGE = {"logoType": "IMAGE", "logo": IMAGE}
BACKGROUND_IMAGE = {"backgroundType": "IMAGE", "backgroundImage": IMAGE}
THEME_CASES = [
    ("no-template", without(SPRING, "template"), "template", "REQUIRED_VALUE"),
    ("unknown-template", {**SPRING, "template": "fancy"}, "template", "INVALID_VALUE"),
    ("default-not-a-boolean", {**SPRING, "default": "no"}, "default", "INVALID_VALUE"),
    ("no-configuration", without(SPRING, "configuration"), "configuration", "REQUIRED_VALUE"),
    ("no-logo-type", with_config(SPRING, logoType=None), "configuration.logoType", "REQUIRED_VALUE"),
    ("unknown-logo-type", with_config(SPRING, logoType="GIF"), "configuration.logoType", "INVALID_VALUE"),
    (
        "no-background-type",
        with_config(SPRING, backgroundType=None),
        "configuration.backgroundType",
        "REQUIRED_VALUE",
    ),
    (
        "unknown-background-type",
        with_config(SPRING, backgroundType="VIDEO"),
        "configuration.backgroundType",
        "INVALID_VALUE",
    ),
    *[
        (f"no-{key}", with_config(SPRING, **{key: None}), f"configuration.{key}", "REQUIRED_VALUE")
        for key in (
            "buttonColor",
            "buttonTextColor",
            "linkTextColor",
            "cardColor",
            "bodyTextColor",
            "headingTextColor",
        )
    ],
    ("colour-name", with_config(SPRING, buttonColor="blue"), "configuration.buttonColor", "INVALID_VALUE"),
    ("five-hex-digits", with_config(SPRING, cardColor="#12345"), "configuration.cardColor", "INVALID_VALUE"),
    ("not-hex", with_config(SPRING, linkTextColor="#ggg"), "configuration.linkTextColor", "INVALID_VALUE"),
    ("no-hash", with_config(SPRING, bodyTextColor="333333"), "configuration.bodyTextColor", "INVALID_VALUE"),
    (
        "bad-background-colour",
        with_config(SPRING, backgroundType="DEFAULT", backgroundColor="red"),
        "configuration.backgroundColor",
        "INVALID_VALUE",
    ),
    (
        "image-logo-without-logo",
        with_config(SPRING, logoType="IMAGE"),
        "configuration.logo",
        "REQUIRED_VALUE",
    ),
    (
        "logo-without-href",
        with_config(SPRING, **LOGO_IMAGE | {"logo": {"id": IMAGE["id"]}}),
        "configuration.logo.href",
        "REQUIRED_VALUE",
    ),
    (
        "logo-without-id",
        with_config(SPRING, **LOGO_IMAGE | {"logo": {"href": IMAGE["href"]}}),
        "configuration.logo.id",
        "REQUIRED_VALUE",
    ),
    (
        "logo-id-not-a-uuid",
        with_config(SPRING, **LOGO_IMAGE | {"logo": {**IMAGE, "id": "logo-1"}}),
        "configuration.logo.id",
        "INVALID_VALUE",
    ),
    (
        "image-background-without-image",
        with_config(SPRING, backgroundType="IMAGE"),
        "configuration.backgroundImage",
        "REQUIRED_VALUE",
    ),
    (
        "background-image-without-href",
        with_config(SPRING, **BACKGROUND_IMAGE | {"backgroundImage": {"id": IMAGE["id"]}}),
        "configuration.backgroundImage.href",
        "REQUIRED_VALUE",
    ),
    (
        "background-image-id-not-a-uuid",
        with_config(SPRING, **BACKGROUND_IMAGE | {"backgroundImage": {**IMAGE, "id": "bg"}}),
        "configuration.backgroundImage.id",
        "INVALID_VALUE",
    ),
    (
        "colour-background-without-colour",
        with_config(SPRING, backgroundType="COLOR", backgroundColor=None),
        "configuration.backgroundColor",
        "REQUIRED_VALUE",
    ),
]


def assert_refused(answer, target, detail_code):
    """Check a 400 INVALID_DATA answer with a detail naming the field."""
    body = pingone_error(answer, 400, "INVALID_DATA")
    assert {"code": detail_code, "target": target} in [
        {"code": d["code"], "target": d.get("target")} for d in body["details"]
    ], body
    return body


@pytest.mark.parametrize(
    ("theme", "target", "detail_code"), [c[1:] for c in THEME_CASES], ids=[c[0] for c in THEME_CASES]
)
def test_an_invalid_theme_is_refused_naming_the_field(emulator, api, theme, target, detail_code):
    assert_refused(api("POST", PRODUCTION, "/themes", json=theme), target, detail_code)
    active = active_theme(api, PRODUCTION)
    assert_refused(api("PUT", PRODUCTION, f"/themes/{active['id']}", json=theme), target, detail_code)
    assert themes(api, PRODUCTION) == [active]


def test_every_problem_of_a_theme_gets_its_own_detail(emulator, api):
    theme = with_config(without(SPRING, "template"), buttonColor="blue", logoType="IMAGE")
    body = assert_refused(api("POST", PRODUCTION, "/themes", json=theme), "template", "REQUIRED_VALUE")
    targets = {detail["target"] for detail in body["details"]}
    assert targets == {"template", "configuration.buttonColor", "configuration.logo"}


def test_image_references_need_only_a_uuid_not_an_existing_image(emulator, api):
    theme = with_config(SPRING, **LOGO_IMAGE, **BACKGROUND_IMAGE)
    created = create_theme(api, PRODUCTION, theme)
    assert created["configuration"]["logo"] == IMAGE
    assert created["configuration"]["backgroundImage"] == IMAGE


@pytest.mark.parametrize(
    ("body", "target", "detail_code"),
    [({}, "default", "REQUIRED_VALUE"), ({"default": "yes"}, "default", "INVALID_VALUE")],
    ids=["no-default", "not-a-boolean"],
)
def test_an_invalid_default_flag_is_refused(emulator, api, body, target, detail_code):
    other = create_theme(api, PRODUCTION)
    assert_refused(api("PUT", PRODUCTION, f"/themes/{other['id']}/default", json=body), target, detail_code)


SETTINGS_CASES = [
    ("company-name-not-a-string", {"companyName": 7}, "companyName", "INVALID_VALUE"),
    ("logo-not-an-object", {"logo": "logo.png"}, "logo", "INVALID_VALUE"),
    ("logo-without-id", {"logo": {"href": IMAGE["href"]}}, "logo.id", "REQUIRED_VALUE"),
    ("logo-without-href", {"logo": {"id": IMAGE["id"]}}, "logo.href", "REQUIRED_VALUE"),
    ("logo-id-not-a-uuid", {"logo": {**IMAGE, "id": "42"}}, "logo.id", "INVALID_VALUE"),
]


@pytest.mark.parametrize(
    ("settings", "target", "detail_code"), [c[1:] for c in SETTINGS_CASES], ids=[c[0] for c in SETTINGS_CASES]
)
def test_invalid_branding_settings_are_refused_naming_the_field(emulator, api, settings, target, detail_code):
    assert_refused(api("PUT", PRODUCTION, "/brandingSettings", json=settings), target, detail_code)
    assert set(ok(api("GET", PRODUCTION, "/brandingSettings"))) == {"_links", "id"}


APPLICATION_CASES = [
    ("no-name", {"name": None}, "name", "REQUIRED_VALUE"),
    ("no-type", {"type": None}, "type", "REQUIRED_VALUE"),
    ("unknown-type", {"type": "ROBOT"}, "type", "INVALID_VALUE"),
    ("another-type", {"type": "WORKER"}, "type", "INVALID_VALUE"),
    ("no-protocol", {"protocol": None}, "protocol", "REQUIRED_VALUE"),
    ("another-protocol", {"protocol": "SAML"}, "protocol", "INVALID_VALUE"),
    ("no-enabled", {"enabled": None}, "enabled", "REQUIRED_VALUE"),
    ("enabled-not-a-boolean", {"enabled": "yes"}, "enabled", "INVALID_VALUE"),
    ("icon-without-href", {"icon": {"id": IMAGE["id"]}}, "icon.href", "REQUIRED_VALUE"),
    ("icon-id-not-a-uuid", {"icon": {**IMAGE, "id": "icon"}}, "icon.id", "INVALID_VALUE"),
    ("redirect-uris-not-a-list", {"redirectUris": "https://a.example"}, "redirectUris", "INVALID_VALUE"),
]


@pytest.mark.parametrize(
    ("changes", "target", "detail_code"),
    [c[1:] for c in APPLICATION_CASES],
    ids=[c[0] for c in APPLICATION_CASES],
)
def test_an_invalid_application_is_refused_naming_the_field(emulator, api, changes, target, detail_code):
    app = application(api, PRODUCTION, "Customer Portal")
    body = {key: value for key, value in (app | changes).items() if value is not None}
    assert_refused(api("PUT", PRODUCTION, f"/applications/{app['id']}", json=body), target, detail_code)
    assert ok(api("GET", PRODUCTION, f"/applications/{app['id']}")) == app


def test_a_body_that_is_not_a_json_object_is_refused(emulator, api):
    theme_id = active_theme(api, PRODUCTION)["id"]
    not_json = api("PUT", PRODUCTION, f"/themes/{theme_id}", data="template=default")
    pingone_error(not_json, 415, "INVALID_REQUEST")
    a_list = api("PUT", PRODUCTION, f"/themes/{theme_id}", json=[SPRING])
    assert pingone_error(a_list, 400, "INVALID_DATA")["details"][0]["target"] == "body"


# not found, not allowed, not authorised


def test_unknown_ids_and_environments_are_404(emulator, api):
    unknown = str(uuid.uuid4())
    active = active_theme(api, PRODUCTION)
    app = application(api, PRODUCTION, "Customer Portal")
    for method, env_id, path, body in [
        ("GET", PRODUCTION, f"/themes/{unknown}", None),
        ("PUT", PRODUCTION, f"/themes/{unknown}", SPRING),
        ("DELETE", PRODUCTION, f"/themes/{unknown}", None),
        ("GET", PRODUCTION, f"/themes/{unknown}/default", None),
        ("PUT", PRODUCTION, f"/themes/{unknown}/default", {"default": True}),
        ("GET", STAGING, f"/themes/{active['id']}", None),
        ("GET", PRODUCTION, f"/applications/{unknown}", None),
        ("PUT", PRODUCTION, f"/applications/{unknown}", app),
        ("GET", STAGING, f"/applications/{app['id']}", None),
        ("GET", unknown, "/themes", None),
        ("POST", unknown, "/themes", SPRING),
        ("GET", unknown, "/brandingSettings", None),
        ("GET", unknown, "/applications", None),
    ]:
        pingone_error(api(method, env_id, path, json=body), 404, "NOT_FOUND")


def test_wrong_methods_are_405(emulator, api):
    theme_id = active_theme(api, PRODUCTION)["id"]
    app_id = application(api, PRODUCTION, "Customer Portal")["id"]
    for method, path in [
        ("DELETE", "/brandingSettings"),
        ("PATCH", f"/themes/{theme_id}"),
        ("DELETE", f"/themes/{theme_id}/default"),
        ("POST", "/applications"),
        ("DELETE", f"/applications/{app_id}"),
        ("PATCH", f"/applications/{app_id}"),
    ]:
        pingone_error(api(method, PRODUCTION, path, json={}), 405, "INVALID_REQUEST")


BRANDING_CALLS = [
    ("GET", "/brandingSettings"),
    ("PUT", "/brandingSettings"),
    ("GET", "/themes"),
    ("POST", "/themes"),
    ("PUT", "/themes/{theme}"),
    ("DELETE", "/themes/{theme}"),
    ("PUT", "/themes/{theme}/default"),
    ("GET", "/applications/{app}"),
    ("PUT", "/applications/{app}"),
]


def branding_url(emulator, path):
    """The URL of a branding path in Production, {theme} and {app} filled with existing ids."""
    shown = emulator.branding(PRODUCTION)
    path = path.format(theme=shown["themes"][0]["id"], app=shown["applications"][0]["id"])
    return f"{emulator.api_url}/environments/{PRODUCTION}{path}"


@pytest.mark.parametrize(("method", "path"), BRANDING_CALLS)
def test_a_users_access_token_is_refused_with_401(emulator, method, path):
    before = emulator.branding(PRODUCTION)
    user_token = emulator.user_tokens("admin@example.com")["access_token"]
    answer = requests.request(
        method,
        branding_url(emulator, path),
        json={"default": True},
        headers={"Authorization": f"Bearer {user_token}"},
        timeout=10,
    )
    assert pingone_error(answer, 401, "ACCESS_FAILED")["details"][0]["code"] == "INVALID_TOKEN"
    assert emulator.branding(PRODUCTION) == before


@pytest.mark.parametrize(("method", "path"), BRANDING_CALLS)
def test_a_request_without_a_token_is_refused_with_401(emulator, method, path):
    answer = requests.request(method, branding_url(emulator, path), json={"default": True}, timeout=10)
    pingone_error(answer, 401, "ACCESS_FAILED")


def test_a_fault_applies_to_a_theme_put(emulator, api):
    theme = active_theme(api, PRODUCTION)
    emulator.add_fault(path="/themes/", method="PUT", status=503, retry_after=2)
    changed = with_config(theme, buttonColor="#000000")
    failed = api("PUT", PRODUCTION, f"/themes/{theme['id']}", json=changed)
    pingone_error(failed, 503, "UNEXPECTED_ERROR")
    assert failed.headers["Retry-After"] == "2"
    assert active_theme(api, PRODUCTION) == theme
    assert ok(api("PUT", PRODUCTION, f"/themes/{theme['id']}", json=changed))["configuration"][
        "buttonColor"
    ] == ("#000000")


# applications


def test_an_application_put_sets_the_icon_and_the_secret_never_shows(emulator, api):
    app = application(api, PRODUCTION, "Customer Portal")
    secret = next(a["client_secret"] for a in emulator.config["applications"] if a["client_id"] == app["id"])
    replaced = ok(
        api(
            "PUT",
            PRODUCTION,
            f"/applications/{app['id']}",
            json={**app, "icon": IMAGE, "clientSecret": "mine"},
        )
    )
    assert replaced["icon"] == IMAGE
    assert without(replaced, "icon") == app
    read = api("GET", PRODUCTION, f"/applications/{app['id']}")
    assert ok(read) == replaced
    seen = (
        read.text + api("GET", PRODUCTION, "/applications").text + json.dumps(emulator.branding(PRODUCTION))
    )
    assert secret not in seen and "mine" not in seen


def test_an_application_put_cannot_change_the_secret_and_sign_in_still_works(emulator, api):
    web = emulator.app("oidc_web")
    app = ok(api("GET", ADMINISTRATORS, f"/applications/{web['client_id']}"))
    assert app["name"] == "Image Portal"
    changed = {**app, "icon": IMAGE, "clientSecret": "changed", "secret": "changed"}
    ok(api("PUT", ADMINISTRATORS, f"/applications/{web['client_id']}", json=changed))
    assert emulator.user_tokens("designer@example.com")["id_token"]


def test_an_application_put_without_redirect_uris_removes_them(emulator, api):
    web = emulator.app("oidc_web")
    app = ok(api("GET", ADMINISTRATORS, f"/applications/{web['client_id']}"))
    assert app["redirectUris"] == web["redirect_uris"]
    replaced = ok(
        api("PUT", ADMINISTRATORS, f"/applications/{web['client_id']}", json=without(app, "redirectUris"))
    )
    assert "redirectUris" not in replaced
    refused = sign_in_page(emulator)
    assert refused.status_code == 400
    assert "redirect_uri is not registered" in refused.text
    emulator.reset()
    assert sign_in_page(emulator).status_code == 200


def test_a_disabled_application_cannot_sign_anyone_in(emulator, api):
    web = emulator.app("oidc_web")
    app = ok(api("GET", ADMINISTRATORS, f"/applications/{web['client_id']}"))
    ok(api("PUT", ADMINISTRATORS, f"/applications/{web['client_id']}", json={**app, "enabled": False}))
    assert sign_in_page(emulator).status_code == 400
    ok(api("PUT", ADMINISTRATORS, f"/applications/{web['client_id']}", json=app))
    assert sign_in_page(emulator).status_code == 200


# branding settings


def test_branding_settings_put_replaces_them(emulator, api):
    first = ok(
        api("PUT", PRODUCTION, "/brandingSettings", json={"companyName": "Example Corp", "logo": IMAGE})
    )
    assert (first["id"], first["companyName"], first["logo"]) == (PRODUCTION, "Example Corp", IMAGE)
    assert ok(api("GET", PRODUCTION, "/brandingSettings")) == first
    second = ok(api("PUT", PRODUCTION, "/brandingSettings", json={**without(first, "logo"), "id": "ignored"}))
    assert second["id"] == PRODUCTION
    assert "logo" not in second
    assert ok(api("GET", STAGING, "/brandingSettings")) == emulator.branding(STAGING)["settings"]
    assert set(emulator.branding(STAGING)["settings"]) == {"_links", "id"}


# reset, persistence


def change_everything(api, env_id):
    """Change the settings, add a theme and make it active, and set an application's icon."""
    ok(api("PUT", env_id, "/brandingSettings", json={"companyName": "Changed", "logo": IMAGE}))
    theme = create_theme(api, env_id)
    ok(api("PUT", env_id, f"/themes/{theme['id']}/default", json={"default": True}))
    app = application(api, env_id, "Customer Portal")
    ok(api("PUT", env_id, f"/applications/{app['id']}", json={**app, "icon": IMAGE}))


def test_reset_restores_the_branding_defaults(emulator, api):
    defaults = emulator.branding(PRODUCTION)
    change_everything(api, PRODUCTION)
    changed = emulator.branding(PRODUCTION)
    assert changed != defaults
    assert changed["applications"][0]["icon"] == IMAGE
    emulator.reset()
    assert emulator.branding(PRODUCTION) == defaults


def test_branding_survives_a_restart_with_a_data_dir(tmp_path):
    with EmulatorProcess(data_dir=tmp_path) as first:
        token = first.worker_token()

        def call(method, env_id, path, json=None):
            return first.api(method, f"/environments/{env_id}{path}", json=json, token=token)

        change_everything(call, STAGING)
        before = first.branding(STAGING)
        production = first.branding(PRODUCTION)
        port = first.port
    with EmulatorProcess(port=port, data_dir=tmp_path) as second:
        assert second.branding(STAGING) == before
        assert second.branding(PRODUCTION) == production
        second.reset()
    with EmulatorProcess(port=port, data_dir=tmp_path) as third:
        assert third.branding(STAGING)["settings"] == {"_links": before["settings"]["_links"], "id": STAGING}


# the emulator's sign-in page


def test_the_sign_in_page_shows_the_active_themes_logo_background_and_button(emulator, api):
    plain = sign_in_page(emulator)
    assert plain.status_code == 200
    assert 'class="logo"' not in plain.text
    assert "#2996cc" in plain.text

    logo = emulator.create_image(ADMINISTRATORS, images.png()).json()
    href = logo["targets"]["original"]["href"]
    theme = with_config(
        SPRING, logoType="IMAGE", logo={"id": logo["id"], "href": href}, footer="Acme sign-on"
    )
    created = create_theme(api, ADMINISTRATORS, theme)
    assert 'class="logo"' not in sign_in_page(emulator).text
    ok(api("PUT", ADMINISTRATORS, f"/themes/{created['id']}/default", json={"default": True}))

    page = sign_in_page(emulator)
    assert page.status_code == 200
    assert f'<img class="logo" src="{href}"' in page.text
    assert requests.get(href, timeout=10).headers["Content-Type"] == "image/png"
    assert "background: #aa3300" in page.text
    assert '<body style="background: #102030">' in page.text
    assert "Acme sign-on" in page.text
    form = parse_form(page.text)
    assert {"username", "password"} <= set(form.fields)
    assert '<button type="submit" name="action" value="signin">Sign On</button>' in page.text
    assert emulator.user_tokens("designer@example.com")["id_token"]


def test_the_sign_in_page_shows_a_background_image(emulator, api):
    background = {"id": str(uuid.uuid4()), "href": f"{emulator.base_url}/bg.png?v=1&size=big"}
    theme = with_config(SPRING, backgroundType="IMAGE", backgroundImage=background, backgroundColor=None)
    created = create_theme(api, ADMINISTRATORS, theme)
    ok(api("PUT", ADMINISTRATORS, f"/themes/{created['id']}/default", json={"default": True}))
    page = sign_in_page(emulator).text
    # The browser reads "&amp;" in the attribute as "&".
    assert f'<body style="background: #ededed url({emulator.base_url}/bg.png?v=1&amp;size=big)' in page
