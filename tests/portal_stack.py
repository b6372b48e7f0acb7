"""The whole product as separate processes: emulator, portal (runserver, or gunicorn with the
checked-in gunicorn.conf.py, one or several) and Celery workers.

Used by the end-to-end tests, which drive it over HTTP like a browser or an operator would.
"""

import copy
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import requests

from pingone_emulator.config import DEFAULT_CONFIG
from tests.emulator_support import REPO_ROOT
from tests.html_forms import submit_sign_in_form
from tests.ids import PRODUCTION, SECRET, STAGING

MANY_GROUPS = ["Branding"] + [f"Team {n:02d}" for n in range(1, 31)]


def emulator_config(portal_origins):
    """The emulator's default configuration, with callbacks for the given portal origins,
    an environment no group of the default users reaches, and a user in 31 groups."""
    config = copy.deepcopy(DEFAULT_CONFIG)
    config["environments"].append({"name": "Secret", "id": SECRET})
    web = next(app for app in config["applications"] if app["type"] == "oidc_web")
    web["redirect_uris"] = [f"{origin}/auth/callback/" for origin in portal_origins]
    web["post_logout_redirect_uris"] = [f"{origin}/" for origin in portal_origins]
    config["users"].append(
        {
            "username": "crowded@example.com",
            "email": "crowded@example.com",
            "groups": MANY_GROUPS,
            "password": "password",
        }
    )
    return config


def database_url_for_run():
    """A fresh database for one run of the stack: Postgres when DATABASE_URL is Postgres."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgres"):
        import psycopg

        parsed = urlparse(base)
        name = f"portal_e2e_{uuid.uuid4().hex[:8]}"
        admin_url = parsed._replace(path="/postgres").geturl()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return parsed._replace(path=f"/{name}").geturl(), lambda: _drop_postgres(admin_url, name)
    folder = Path(tempfile.mkdtemp(prefix="portal-e2e-"))
    return f"sqlite:///{folder / 'portal.sqlite3'}", lambda: shutil.rmtree(folder, ignore_errors=True)


def _drop_postgres(admin_url, name):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PortalHttp:
    """Acting as a user of a portal at `self.url`, over HTTP."""

    url = ""

    def diagnostics(self):
        return ""

    def sign_in(self, username, password="password"):
        """A requests session signed in through the emulator's form, like a browser."""
        session = requests.Session()
        page = session.get(f"{self.url}/login/", timeout=30)
        landed = submit_sign_in_form(session, page, username, password)
        assert landed.status_code == 200 and landed.url.startswith(self.url), landed.text[:500]
        assert "sessionid" in session.cookies
        return session

    def csrf(self, session, path="/"):
        session.get(f"{self.url}{path}", timeout=30)
        return session.cookies["csrftoken"]

    def upload(self, session, slug, files):
        """POST files (name, bytes) to an environment; returns the JSON response."""
        token = self.csrf(session, f"/environments/{slug}/upload/")
        return session.post(
            f"{self.url}/environments/{slug}/upload/",
            files=[("files", (name, data)) for name, data in files],
            headers={"Accept": "application/json", "X-CSRFToken": token},
            timeout=60,
        )

    def assets(self, session, slug, **params):
        """Every asset of the environment, following assets.json's `next` links."""
        url, found = f"{self.url}/environments/{slug}/assets.json", []
        while url:
            response = session.get(url, params=params, timeout=30)
            response.raise_for_status()
            page = response.json()
            found += page["assets"]
            url, params = page["next"], None
        return found

    def wait_for(self, session, slug, ids, statuses, timeout=45):
        """Poll assets.json until every asset in `ids` has one of `statuses`."""
        deadline = time.monotonic() + timeout
        while True:
            assets = {a["id"]: a for a in self.assets(session, slug)}
            if all(assets.get(i, {}).get("status") in statuses for i in ids):
                return [assets[i] for i in ids]
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"assets {ids} did not reach {statuses}: "
                    f"{[assets.get(i) for i in ids]}\n{self.diagnostics()}"
                )
            time.sleep(0.3)


class WebProcess(PortalHttp):
    """One more web process of a stack, on a port of its own: the same portal seen through it."""

    def __init__(self, stack, name, port):
        self.stack, self.name, self.port = stack, name, port
        self.url = f"http://127.0.0.1:{port}"

    def output(self):
        return self.stack.output(self.name)

    def wait(self):
        self.stack._wait_http(f"{self.url}/", self.name)
        return self

    def diagnostics(self):
        return self.stack.diagnostics()


class PortalStack(PortalHttp):
    """A portal and a Celery worker wired to an already running emulator."""

    def __init__(self, emulator, port, redis_url, extra_env=None):
        self.emulator = emulator
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.workdir = Path(tempfile.mkdtemp(prefix="portal-stack-"))
        self.database_url, self._drop_database = database_url_for_run()
        self.env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "e2e-" + uuid.uuid4().hex,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Production settings but over local http, with the emulator's http image links.
            "DJANGO_SECURE_COOKIES": "0",
            "PORTAL_ALLOW_HTTP_IMAGE_LINKS": "1",
            # The stack's environments are registered as it starts: a 403 or 404 a test injects
            # must not be taken for PingOne still settling a new environment.
            "PORTAL_NEW_ENVIRONMENT_GRACE_SECONDS": "0",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": redis_url,
            "PINGONE_AUTH_BASE_URL": emulator.base_url,
            "PINGONE_API_BASE_URL": emulator.api_url,
            "PORTAL_MEDIA_ROOT": str(self.workdir / "media"),
            # Its own temporary folder, so tests can see what request bodies were spooled.
            "TMPDIR": str(self.workdir / "tmp"),
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.processes = {}
        self.web_names = {"portal"}
        (self.workdir / "tmp").mkdir()

    def manage(self, *args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout

    def _spawn(self, name, args, env=None):
        log = open(self.workdir / f"{name}.log", "w+")  # noqa: SIM115
        self.processes[name] = (
            # A session of its own, so a test can kill a worker with all its pool processes.
            subprocess.Popen(
                args,
                cwd=REPO_ROOT,
                env={**self.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            ),
            log,
        )

    def output(self, name):
        if name in self.processes:
            self.processes[name][1].flush()
        return (self.workdir / f"{name}.log").read_text()

    def start(self, worker=True, server="runserver", wait=True, web_processes=1):
        """Migrate, register the environments, start the portal (`runserver`, or `gunicorn` with
        gunicorn.conf.py and `web_processes` processes) on the stack's port and, unless told not
        to, a worker. Without `wait`, the portal is still booting: call `wait()` once the other
        processes are started too."""
        self.manage("migrate", "--noinput")
        self.manage(
            "add_environment", "production", PRODUCTION, "--name", "Production", "--groups", "Branding"
        )
        self.manage("add_environment", "staging", STAGING, "--name", "Staging", "--groups", "Branding")
        self.manage("add_environment", "secret", SECRET, "--name", "Secret", "--groups", "Secret Team")
        if server == "gunicorn":
            self._spawn_gunicorn("portal", self.port, web_processes)
        else:
            self._spawn(
                "portal", [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"]
            )
        if worker:
            self.start_worker()
        return self.wait() if wait else self

    def wait(self):
        """Return once the portal answers."""
        self._wait_http(f"{self.url}/", "portal")
        return self

    def _spawn_gunicorn(self, name, port, processes=1):
        """gunicorn as the Procfile runs it: its port from PORT, its processes from WEB_CONCURRENCY."""
        self.web_names.add(name)
        self._spawn(
            name,
            [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--config", "gunicorn.conf.py"],
            env={"PORT": str(port), "WEB_CONCURRENCY": str(processes)},
        )

    def start_web(self, name, port, processes=1, wait=True):
        """One more web process (gunicorn) on `port`, sharing the stack's database, Redis and
        storage; returns it, to act as a user through it (without `wait`, call its `wait()`)."""
        self._spawn_gunicorn(name, port, processes)
        web = WebProcess(self, name, port)
        return web.wait() if wait else web

    def start_worker(self, name="worker", concurrency=2, beat=False, node_name=None, wait=True, pool=None):
        """A Celery worker as `celery -A portal worker` runs it (no -Q); with `beat`, beat inside;
        `node_name` is its -n (a random one by default); `pool` its --pool (prefork by default).
        Without `wait`, call `wait_worker`."""
        extra = ["-B", "--schedule", str(self.workdir / f"{name}-beat-schedule")] if beat else []
        extra += [f"--pool={pool}"] if pool else []
        self._spawn(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "--without-mingle",
                "--without-gossip",
                "-n",
                node_name or f"e2e-{uuid.uuid4().hex[:6]}@%h",
                *extra,
            ],
        )
        if wait:
            self.wait_worker(name)

    def wait_worker(self, name):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if " ready." in self.output(name):
                return
            if self.processes[name][0].poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError("the Celery worker did not start:\n" + self.output(name))

    def stop_worker(self, name="worker"):
        """Stop a worker as a deploy does (SIGTERM: it finishes what it is doing)."""
        self._stop(name)

    def kill_worker(self, name="worker"):
        """Kill a worker and its pool processes at once (SIGKILL), as a crash would."""
        process, log = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        log.close()

    def _wait_http(self, url, name):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(url, timeout=2)
                return
            # A gunicorn that listens but is still loading the portal holds the request.
            except (requests.ConnectionError, requests.Timeout):
                if self.processes[name][0].poll() is not None:
                    break
                time.sleep(0.2)
        raise RuntimeError(f"{name} did not answer:\n" + self.output(name))

    def _stop(self, name):
        process, log = self.processes.pop(name, (None, None))
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()

    def diagnostics(self):
        workers = [name for name in self.processes if name not in self.web_names]
        return "".join(f"{name} log:\n{self.output(name)[-3000:]}\n" for name in workers)

    def stop(self):
        # Every process is told at once, so they wind down side by side.
        for process, _ in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for name in list(self.processes):
            self._stop(name)
        self._drop_database()
        shutil.rmtree(self.workdir, ignore_errors=True)
