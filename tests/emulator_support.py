"""Start the PingOne emulator as a real subprocess, for tests that talk to it over HTTP.

Usage::

    with EmulatorProcess() as emulator:          # free port, default configuration
        emulator.base_url                        # http://127.0.0.1:PORT
        emulator.api_url                         # http://127.0.0.1:PORT/v1
        emulator.env_id("Production")            # an environment id by name
        emulator.app("worker")                   # the first application of a type, as a dict
        emulator.issuer(emulator.app("oidc_web")["environment_id"])
        emulator.add_fault(path="/images$", status=429, retry_after=1)
        emulator.add_fault(path="/images$", status=503, count=100, probability=0.1)  # ~10% of them
        emulator.set_rate_limit(5)               # Images/branding APIs: 429 above 5 requests/s
        emulator.worker_token()                  # a client_credentials access token
        emulator.user_tokens("admin@example.com")  # tokens of a user signed in via the form
        emulator.set_groups("admin@example.com", ["Branding"])  # the user's groups from now on
        emulator.create_image(env_id, data)      # POST to the Images API with a worker token
        emulator.images(env_id)                  # what the emulator stores, with received_* fields
        emulator.api("PUT", f"/environments/{env_id}/themes/{theme_id}", json=theme)  # worker token
        emulator.branding(env_id)                # {"settings", "themes", "applications"}
        emulator.reset()                         # forget images, tokens, sessions, faults, log, groups;
                                                 # branding and settings back to the configuration's

Arguments: ``port`` (default: a free one), ``data_dir``, ``config_path`` (a JSON file, or
pass ``config`` as a dict and a temporary file is written), ``extra_args``.
"""

import base64
import hashlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port():
    """Return a TCP port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmulatorProcess:
    """One running `python -m pingone_emulator` process."""

    def __init__(
        self,
        port=None,
        data_dir=None,
        config_path=None,
        config=None,
        extra_args=(),
        start_timeout=15,
    ):
        self.port = port or free_port()
        self.data_dir = data_dir
        self.config_path = config_path
        self.extra_args = list(extra_args)
        self.start_timeout = start_timeout
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.base_url}/v1"
        self.config = None
        self.process = None
        self._log = None
        self._config_file = None
        if config is not None:
            self._config_file = tempfile.NamedTemporaryFile(
                "w", suffix=".json", prefix="emulator-config-", delete=False
            )
            json.dump(config, self._config_file)
            self._config_file.close()
            self.config_path = self._config_file.name

    def start(self):
        """Spawn the emulator and wait until GET /__emulator__/config answers."""
        args = [sys.executable, "-m", "pingone_emulator", "--port", str(self.port)]
        if self.data_dir:
            args += ["--data-dir", str(self.data_dir)]
        if self.config_path:
            args += ["--config", str(self.config_path)]
        args += self.extra_args
        self._log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            args, cwd=REPO_ROOT, stdout=self._log, stderr=subprocess.STDOUT, text=True
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                response = requests.get(f"{self.base_url}/__emulator__/config", timeout=1)
                if response.status_code == 200:
                    self.config = response.json()
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        output = self.output()
        self.stop()
        raise RuntimeError(f"the PingOne emulator did not start on {self.base_url}:\n{output}")

    def output(self):
        """Return everything the process printed so far."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def stop(self):
        """Terminate the process and wait for it."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._config_file is not None and os.path.exists(self._config_file.name):
            os.unlink(self._config_file.name)
            self._config_file = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def env_id(self, name):
        """Return the id of the environment with this name."""
        return next(e["id"] for e in self.config["environments"] if e["name"] == name)

    def app(self, type_):
        """Return the first application of this type ("oidc_web" or "worker")."""
        return next(a for a in self.config["applications"] if a["type"] == type_)

    def user(self, username):
        """Return the configured user with this username."""
        return next(u for u in self.config["users"] if u["username"] == username)

    def issuer(self, env_id):
        """Return the OIDC issuer of an environment."""
        return f"{self.base_url}/{env_id}/as"

    def worker_token(self):
        """Return a fresh access token from the worker app's client_credentials grant."""
        worker = self.app("worker")
        response = requests.post(
            f"{self.issuer(worker['environment_id'])}/token",
            data={"grant_type": "client_credentials"},
            auth=(worker["client_id"], worker["client_secret"]),
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def user_tokens(self, username, password="password", scope="openid profile email"):
        """Sign a user in through the HTML form (code flow + PKCE); return the token response."""
        web = self.app("oidc_web")
        issuer = self.issuer(web["environment_id"])
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        params = {
            "response_type": "code",
            "client_id": web["client_id"],
            "redirect_uri": web["redirect_uris"][0],
            "scope": scope,
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        answer = requests.post(
            f"{issuer}/authorize",
            data={**params, "username": username, "password": password, "action": "signin"},
            allow_redirects=False,
            timeout=10,
        )
        if answer.status_code != 302:
            raise RuntimeError(f"sign-in failed: {answer.status_code} {answer.text[:200]}")
        code = parse_qs(urlparse(answer.headers["Location"]).query)["code"][0]
        response = requests.post(
            f"{issuer}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": web["redirect_uris"][0],
                "code_verifier": verifier,
            },
            auth=(web["client_id"], web["client_secret"]),
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def set_groups(self, username, groups):
        """Give a user these groups in new tokens and userinfo, until the next reset."""
        response = requests.post(
            f"{self.base_url}/__emulator__/users/{username}", json={"groups": groups}, timeout=10
        )
        response.raise_for_status()
        return response.json()

    def images_url(self, env_id):
        """Return the Images API collection URL of an environment."""
        return f"{self.api_url}/environments/{env_id}/images"

    def create_image(self, env_id, data, token=None, content_type="image/png"):
        """POST bytes to the Images API (with a fresh worker token unless given one); return the response."""
        return requests.post(
            self.images_url(env_id),
            data=data,
            headers={
                "Authorization": f"Bearer {token or self.worker_token()}",
                "Content-Type": content_type,
            },
            timeout=30,
        )

    def api(self, method, path, json=None, token=None, **kwargs):
        """Call the management API at api_url + path (with a fresh worker token unless given one)."""
        headers = {"Authorization": f"Bearer {token or self.worker_token()}", **kwargs.pop("headers", {})}
        return requests.request(
            method, f"{self.api_url}{path}", json=json, headers=headers, timeout=30, **kwargs
        )

    def branding(self, env_id):
        """Return an environment's branding as the API shows it: settings, themes, applications."""
        response = requests.get(f"{self.base_url}/__emulator__/environments/{env_id}/branding", timeout=10)
        response.raise_for_status()
        return response.json()

    def reset(self):
        """Forget images, faults, the log, sessions, tokens, groups; restore branding and settings."""
        requests.post(f"{self.base_url}/__emulator__/reset", timeout=10).raise_for_status()

    def add_fault(self, path, **fault):
        """Register a fault (status, retry_after, latency_ms, drop, method, count, probability)."""
        response = requests.post(
            f"{self.base_url}/__emulator__/faults", json={"path": path, **fault}, timeout=10
        )
        response.raise_for_status()
        return response.json()

    def settings(self, **changes):
        """Change settings at run time (until the next reset); return the settings in force."""
        response = requests.post(f"{self.base_url}/__emulator__/settings", json=changes, timeout=10)
        response.raise_for_status()
        return response.json()

    def set_rate_limit(self, per_second):
        """Limit the Images and branding APIs to this many requests a second (None lifts it)."""
        return self.settings(rate_limit_per_second=per_second)

    def clear_faults(self):
        """Forget every registered fault."""
        requests.delete(f"{self.base_url}/__emulator__/faults", timeout=10).raise_for_status()

    def images(self, env_id):
        """Return the images stored in an environment, with what the client sent."""
        response = requests.get(f"{self.base_url}/__emulator__/environments/{env_id}/images", timeout=10)
        response.raise_for_status()
        return response.json()

    def received(self, env_id, image_id):
        """Return the bytes of an image exactly as the emulator received them."""
        response = requests.get(
            f"{self.base_url}/__emulator__/environments/{env_id}/images/{image_id}/received",
            timeout=10,
        )
        response.raise_for_status()
        return response.content

    def requests_log(self):
        """Return the emulator's log of non-control requests."""
        response = requests.get(f"{self.base_url}/__emulator__/requests", timeout=10)
        response.raise_for_status()
        return response.json()
