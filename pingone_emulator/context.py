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
        """The settings block of the configuration."""
        return self.config.settings

    def issuer(self, env_id):
        """Return the OIDC issuer of one environment."""
        return f"{self.base_url}/{env_id}/as"

    def user(self, username=None, sub=None):
        """Return the user with this username or sub, with their current groups, or None."""
        user = self.config.user(username=username, sub=sub)
        groups = self.store.groups_of(user.username) if user else None
        return user if groups is None else replace(user, groups=groups)

    def configuration(self):
        """Return the configuration as a dict, each user with their current groups."""
        config = self.config.as_dict()
        for user in config["users"]:
            groups = self.store.groups_of(user["username"])
            if groups is not None:
                user["groups"] = groups
        return config


def current():
    """Return the Emulator of the app handling this request."""
    return current_app.extensions["pingone_emulator"]
