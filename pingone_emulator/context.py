"""The running emulator (configuration, state, key, public URL) as seen from a request."""

from dataclasses import dataclass, replace

from flask import current_app

from .config import Configuration
from .keys import SigningKey
from .store import Store


@dataclass
class Emulator:
    """What every view needs: the configuration, the state and the signing key."""

    config: Configuration
    store: Store
    key: SigningKey
    base_url: str

    @property
    def settings(self):
        """The settings in force: the configuration's, with those changed at run time."""
        return self.config.settings | self.store.overridden_settings()

    def issuer(self, env_id):
        """Return the OIDC issuer of one environment."""
        return f"{self.base_url}/{env_id}/as"

    def application(self, client_id, env_id=None):
        """Return a configured application with the redirect URIs its API body has now, or None."""
        # A PUT through the Applications API can change these or disable the app; never its secret.
        app = self.config.application(client_id, env_id)
        if app is None:
            return None
        state = self.store.branding(app.environment_id) or {}
        body = state.get("applications", {}).get(app.client_id)
        if body is None:
            return app
        if body.get("enabled") is False:
            return None
        return replace(
            app,
            redirect_uris=list(body.get("redirectUris") or []),
            post_logout_redirect_uris=list(body.get("postLogoutRedirectUris") or []),
        )

    def user(self, username=None, sub=None):
        """Return the user with this username or sub, with their current groups, or None."""
        user = self.config.user(username=username, sub=sub)
        groups = self.store.groups_of(user.username) if user else None
        return user if groups is None else replace(user, groups=groups)

    def configuration(self):
        """Return the configuration as a dict, with each user's current groups and the settings in force."""
        config = self.config.as_dict()
        config["settings"] = dict(self.settings)
        for user in config["users"]:
            groups = self.store.groups_of(user["username"])
            if groups is not None:
                user["groups"] = groups
        return config


def current():
    """Return the Emulator of the app handling this request."""
    return current_app.extensions["pingone_emulator"]
