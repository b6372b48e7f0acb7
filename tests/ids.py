"""The emulator's ids that tests refer to: its default environments and worker app, and a test-only one."""

from pingone_emulator.config import ADMINISTRATORS, DEFAULT_CONFIG, PRODUCTION, STAGING

# An environment the tests add to the emulator that no group of the default users reaches.
SECRET = "8d4e3f91-a062-4f5d-8e41-4bcd6ea08c06"

_WORKER = next(app for app in DEFAULT_CONFIG["applications"] if app["type"] == "worker")
WORKER_CLIENT_ID = _WORKER["client_id"]
WORKER_CLIENT_SECRET = _WORKER["client_secret"]

__all__ = ["ADMINISTRATORS", "PRODUCTION", "SECRET", "STAGING", "WORKER_CLIENT_ID", "WORKER_CLIENT_SECRET"]
