"""The running emulator (configuration, state, key, public URL) as seen from a request."""

from dataclasses import dataclass

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


def current():
    """Return the Emulator of the app handling this request."""
    return current_app.extensions["pingone_emulator"]
