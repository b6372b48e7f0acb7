"""The emulator's configuration: environments, applications, users and settings."""

import json
import uuid
from dataclasses import dataclass, field

from .limits import rate_limit_problem

ADMINISTRATORS = "5a1b0c6e-7d3f-4c2a-9b1e-0d8f2a6c4e01"
PRODUCTION = "6b2c1d7f-8e40-4d3b-8c2f-1e9a3b7d5f02"
STAGING = "7c3d2e80-9f51-4e4c-9d30-2fab4c8e6a03"
ORGANIZATION = "3f6a9c2e-1b4d-4e8f-a0c7-5d2b8e1f4a90"

DEFAULT_SETTINGS = {
    "image_max_bytes": 2_000_000,
    "store_format": "png",
    "unsupported_type_status": 400,
    "code_ttl_seconds": 60,
    "access_token_ttl_seconds": 3600,
    # None: no limit of the emulator's own; POST /__emulator__/settings changes it until a reset.
    "rate_limit_per_second": None,
}

DEFAULT_CONFIG = {
    "environments": [
        {"name": "Administrators", "id": ADMINISTRATORS},
        {"name": "Production", "id": PRODUCTION},
        {"name": "Staging", "id": STAGING},
    ],
    "applications": [
        {
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
        },
        {
            "name": "Image Portal Worker",
            "type": "worker",
            "environment_id": ADMINISTRATORS,
            "client_id": "ae5f40a2-b173-4a6e-9f52-4bcd6ea08c05",
            "client_secret": "dev-portal-worker-secret",
            "redirect_uris": [],
            "post_logout_redirect_uris": [],
        },
        # The customers' sign-on app of each branded environment, whose icon the portal can set.
        {
            "name": "Customer Portal",
            "type": "oidc_web",
            "environment_id": PRODUCTION,
            "client_id": "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d06",
            "client_secret": "dev-customer-portal-production-secret",
            "redirect_uris": ["https://customers.example.com/auth/callback"],
            "post_logout_redirect_uris": ["https://customers.example.com/"],
        },
        {
            "name": "Customer Portal",
            "type": "oidc_web",
            "environment_id": STAGING,
            "client_id": "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e07",
            "client_secret": "dev-customer-portal-staging-secret",
            "redirect_uris": ["https://staging.customers.example.com/auth/callback"],
            "post_logout_redirect_uris": ["https://staging.customers.example.com/"],
        },
    ],
    "users": [
        {
            "username": "designer@example.com",
            "email": "designer@example.com",
            "groups": ["Branding"],
            "password": "password",
            "given_name": "Dana",
            "family_name": "Designer",
        },
        {
            "username": "admin@example.com",
            "email": "admin@example.com",
            "groups": ["Image Portal Admins"],
            "password": "password",
            "given_name": "Alex",
            "family_name": "Admin",
        },
        {
            "username": "outsider@example.com",
            "email": "outsider@example.com",
            "groups": [],
            "password": "password",
            "given_name": "Olive",
            "family_name": "Outsider",
        },
    ],
}


class ConfigurationError(ValueError):
    """A configuration file that cannot describe a PingOne setup."""


@dataclass(frozen=True)
class Application:
    """An application registered in one environment."""

    name: str
    type: str
    environment_id: str
    client_id: str
    client_secret: str
    redirect_uris: list = field(default_factory=list)
    post_logout_redirect_uris: list = field(default_factory=list)


@dataclass(frozen=True)
class User:
    """A user who can sign in through the HTML form."""

    username: str
    password: str
    email: str
    groups: list
    sub: str
    given_name: str
    family_name: str
    name: str
    environment_id: str


@dataclass
class Configuration:
    """Everything the emulator is configured with, plus lookups."""

    environments: list
    applications: list
    users: list
    settings: dict

    def environment(self, env_id):
        """Return the environment with this id, or None."""
        return next((e for e in self.environments if e["id"] == env_id), None)

    def application(self, client_id, env_id=None):
        """Return the application with this client id (in this environment), or None."""
        for app in self.applications:
            if app.client_id == client_id and env_id in (None, app.environment_id):
                return app
        return None

    def applications_in(self, env_id):
        """Return the applications of one environment, in configuration order."""
        return [app for app in self.applications if app.environment_id == env_id]

    def user(self, username=None, sub=None):
        """Return the user with this username or sub, or None."""
        for user in self.users:
            if (username is not None and user.username == username) or (sub is not None and user.sub == sub):
                return user
        return None

    def as_dict(self):
        """Return the configuration in the shape of GET /__emulator__/config."""
        return {
            "environments": [dict(e) for e in self.environments],
            "applications": [dict(vars(a)) for a in self.applications],
            "users": [
                {
                    "username": u.username,
                    "email": u.email,
                    "groups": list(u.groups),
                    "password": u.password,
                    "sub": u.sub,
                    "given_name": u.given_name,
                    "family_name": u.family_name,
                    "name": u.name,
                    "environment_id": u.environment_id,
                }
                for u in self.users
            ],
            "settings": dict(self.settings),
        }


def _user(raw, default_env):
    username = raw["username"]
    local = username.split("@", 1)[0]
    given = raw.get("given_name") or local.replace(".", " ").title()
    family = raw.get("family_name") or "User"
    return User(
        username=username,
        password=raw.get("password", "password"),
        email=raw.get("email") or (username if "@" in username else f"{username}@example.com"),
        groups=list(raw.get("groups", [])),
        sub=raw.get("sub") or str(uuid.uuid5(uuid.NAMESPACE_URL, f"pingone-emulator:{username}")),
        given_name=given,
        family_name=family,
        name=raw.get("name") or f"{given} {family}",
        environment_id=raw.get("environment_id") or default_env,
    )


def build_configuration(raw):
    """Validate a configuration dict and turn it into a Configuration."""
    try:
        environments = [{"name": e["name"], "id": e["id"]} for e in raw["environments"]]
        applications = [
            Application(
                name=a["name"],
                type=a["type"],
                environment_id=a["environment_id"],
                client_id=a["client_id"],
                client_secret=a["client_secret"],
                redirect_uris=list(a.get("redirect_uris", [])),
                post_logout_redirect_uris=list(a.get("post_logout_redirect_uris", [])),
            )
            for a in raw["applications"]
        ]
        env_ids = {e["id"] for e in environments}
        for app in applications:
            if app.type not in ("oidc_web", "worker"):
                raise ConfigurationError(f"application {app.name!r}: unknown type {app.type!r}")
            if app.environment_id not in env_ids:
                raise ConfigurationError(f"application {app.name!r}: unknown environment")
        web_apps = [a for a in applications if a.type == "oidc_web"]
        default_env = web_apps[0].environment_id if web_apps else environments[0]["id"]
        users = [_user(u, default_env) for u in raw.get("users", [])]
    except (KeyError, TypeError, IndexError) as exc:
        raise ConfigurationError(f"invalid configuration: missing or malformed {exc}") from exc
    settings = dict(DEFAULT_SETTINGS)
    settings.update(raw.get("settings") or {})
    if settings["store_format"] not in ("png", "original"):
        raise ConfigurationError("settings.store_format must be 'png' or 'original'")
    if settings["unsupported_type_status"] not in (400, 415):
        raise ConfigurationError("settings.unsupported_type_status must be 400 or 415")
    problem = rate_limit_problem(settings["rate_limit_per_second"])
    if problem:
        raise ConfigurationError(f"settings.{problem}")
    if settings["rate_limit_per_second"] is not None:
        settings["rate_limit_per_second"] = int(settings["rate_limit_per_second"])
    return Configuration(environments, applications, users, settings)


def load_configuration(path):
    """Read a JSON configuration file."""
    with open(path, encoding="utf-8") as f:
        return build_configuration(json.load(f))


def default_configuration():
    """Return the built-in development configuration."""
    return build_configuration(DEFAULT_CONFIG)
