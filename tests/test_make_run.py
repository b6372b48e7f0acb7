"""`make run` on its own: everything comes up configured for each other, and one Ctrl-C stops it all."""

import os
import signal
import socket
import subprocess
import time

import pytest
import requests

from tests import images
from tests.emulator_support import REPO_ROOT
from tests.portal_stack import PortalHttp

pytestmark = pytest.mark.e2e

PORTS = (8000, 8900)


def port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class MadeRun(PortalHttp):
    url = "http://127.0.0.1:8000"

    def __init__(self, log_path):
        self.log_path = log_path

    def diagnostics(self):
        return self.log_path.read_text()[-4000:]


def test_make_run_serves_a_working_portal_and_one_ctrl_c_stops_everything(tmp_path):
    busy = [port for port in PORTS if port_open(port)]
    if busy:
        pytest.skip(f"ports {busy} are in use (is `make run` already running?)")
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "REDIS_URL": "redis://127.0.0.1:6379/12",
    }
    env.pop("DATABASE_URL", None)  # a laptop: SQLite under the data dir
    log_path = tmp_path / "make-run.log"
    with open(log_path, "w") as log:
        # Its own process group, as a terminal gives it: Ctrl-C reaches the whole group.
        process = subprocess.Popen(
            ["make", "run"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    portal = MadeRun(log_path)
    try:
        deadline = time.monotonic() + 120
        while not all(port_open(port) for port in PORTS):
            assert process.poll() is None, portal.diagnostics()
            assert time.monotonic() < deadline, portal.diagnostics()
            time.sleep(0.3)

        designer = portal.sign_in("designer@example.com")
        answer = portal.upload(designer, "production", [("made-run.png", images.png(colour=(77, 1, 1)))])
        asset_id = answer.json()["files"][0]["asset"]
        (asset,) = portal.wait_for(designer, "production", [asset_id], {"live"}, timeout=60)
        assert asset["pingone_image_id"]
        href = asset["targets"]["original"]["href"]
        assert href.startswith("http://127.0.0.1:8900/uploads/")
        assert requests.get(href, timeout=10).content.startswith(b"\x89PNG")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    deadline = time.monotonic() + 15
    while any(port_open(port) for port in PORTS) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(port_open(port) for port in PORTS), "something still listens after Ctrl-C"
    # Nothing of the group (emulator, portal, worker and its children) is left running.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        pytest.fail("processes of `make run` are still alive after Ctrl-C")
