"""A standalone local PingOne: OIDC provider, worker tokens, Images API and image hosting."""
