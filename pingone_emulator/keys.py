"""The RS256 signing key: generated once, persisted under the data dir when there is one."""

import json
import os

from joserfc import jwt
from joserfc.jwk import RSAKey

from .store import write_atomically


class SigningKey:
    """One RSA key that signs ID tokens and access tokens, and its public JWKS."""

    def __init__(self, key):
        self.key = key
        self.kid = key.thumbprint()

    @classmethod
    def load_or_create(cls, data_dir=None):
        """Load the key from data_dir, or generate one (and save it there)."""
        path = os.path.join(data_dir, "signing_key.json") if data_dir else None
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return cls(RSAKey.import_key(json.load(f)))
        key = RSAKey.generate_key(2048)
        if path:
            write_atomically(path, json.dumps(key.as_dict(private=True)).encode())
        return cls(key)

    def sign(self, claims):
        """Return a compact RS256 JWT carrying claims, with this key's kid."""
        return jwt.encode({"alg": "RS256", "kid": self.kid}, claims, self.key, ["RS256"])

    def verify(self, token):
        """Return the claims of a JWT signed by this key (expiry not checked), or None."""
        try:
            decoded = jwt.decode(token, self.key, ["RS256"])
        except Exception:  # any malformed or foreign token is simply not ours
            return None
        if decoded.header.get("kid") != self.kid:
            return None
        return decoded.claims

    def jwks(self):
        """Return the public JWK Set."""
        public = self.key.as_dict(private=False)
        public.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [public]}
