"""LOG_FORMAT=json end to end: the portal (runserver) and a Celery worker as the stack runs them,
an upload with a chosen X-Request-ID pushed to the emulator; every line either writes is JSON,
and the push's lines in the worker name that request, the asset, the environment and the
Correlation-Id PingOne (the emulator) answered with. About 15 s."""

import json
import os
import re
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import pytest
import requests

from tests import images
from tests.emulator_support import REPO_ROOT, EmulatorProcess, free_port
from tests.portal_stack import PortalStack, emulator_config
from tests.test_e2e_reliability import RedisServer

pytestmark = pytest.mark.e2e

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@contextmanager
def own_portal(extra_env):
    """A portal and a worker with an emulator (knowing this portal's callback) and a Redis of
    their own, so no other stack's worker takes their tasks."""
    port = free_port()
    with EmulatorProcess(config=emulator_config([f"http://127.0.0.1:{port}"])) as emulator:
        server = RedisServer().start()
        stack = PortalStack(emulator, port, server.url, extra_env=extra_env)
        try:
            yield stack.start()
        finally:
            stack.stop()
            server.stop()


@pytest.fixture(scope="module")
def json_stack():
    with own_portal({"LOG_FORMAT": "json"}) as stack:
        yield stack


def upload(stack, session, slug, name, data, request_id):
    token = stack.csrf(session, f"/environments/{slug}/upload/")
    return session.post(
        f"{stack.url}/environments/{slug}/upload/",
        files=[("files", (name, data))],
        headers={"Accept": "application/json", "X-CSRFToken": token, "X-Request-ID": request_id},
        timeout=60,
    )


def json_lines(text):
    """Every line as JSON; fails naming the first line that is not."""
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            lines.append(json.loads(line))
        except ValueError:
            pytest.fail(f"line {number} is not JSON: {line!r}\n---\n{text[-3000:]}")
        assert isinstance(lines[-1], dict) and "message" in lines[-1] and "level" in lines[-1], line
    return lines


def wait_for_line(stack, name, predicate, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        found = [line for line in json_lines(stack.output(name)) if predicate(line)]
        if found:
            return found
        assert time.monotonic() < deadline, f"no such line in {name}:\n{stack.output(name)[-3000:]}"
        time.sleep(0.2)


def test_an_upload_and_its_push_write_only_json_and_the_push_names_the_request(json_stack):
    stack = json_stack
    request_id = f"lb-{uuid.uuid4().hex}"
    session = stack.sign_in("designer@example.com")
    answer = upload(stack, session, "production", "logo.png", images.png(colour=(9, 8, 7)), request_id)
    assert answer.status_code == 200 and answer.headers["X-Request-ID"] == request_id
    (file,) = answer.json()["files"]
    asset = file["asset"]
    stack.wait_for(session, "production", [asset], {"live"})
    # The worker writes the push's summary just after the asset is live.
    wait_for_line(stack, "worker", lambda line: line.get("push_outcome") and line.get("asset") == asset)

    web, worker = json_lines(stack.output("portal")), json_lines(stack.output("worker"))
    assert any("Starting development server" in line["message"] for line in web)  # the banner too
    assert any(line["message"].endswith(" ready.") for line in worker)  # the worker's start-up too

    # The web: the upload's lines carry the request id, the environment and the asset.
    staged = [line for line in web if line.get("request_id") == request_id and line.get("asset") == asset]
    assert staged and all(line["environment"] == "production" for line in staged), web[-10:]
    assert any("/upload/" in line["message"] for line in web), "the access log line"

    # The worker: the push's lines carry the upload's request id, the asset and the environment.
    push = [line for line in worker if line.get("asset") == asset]
    assert push, worker[-20:]
    assert {line.get("request_id") for line in push} == {request_id}
    assert {line.get("environment") for line in push} == {"production"}
    task_id = push[0]["task_id"]
    received = [line for line in worker if task_id in line["message"] and "received" in line["message"]]
    assert received and received[0]["request_id"] == request_id, "Celery's 'received' line"

    # One line per PingOne call, with the Correlation-Id the emulator answered with.
    calls = [line for line in push if line.get("pingone_method")]
    (create,) = [c for c in calls if c["pingone_method"] == "POST" and c["pingone_path"].endswith("/images")]
    assert create["pingone_status"] == 201 and create["duration_ms"] >= 0
    answered = {r["correlation_id"] for r in stack.emulator.requests_log() if r["path"].endswith("/images")}
    assert UUID.fullmatch(create["correlation_id"]) and create["correlation_id"] in answered
    # ...and every push line after the call carries it too (the summary, Celery's "succeeded").
    after = push[push.index(create) :]
    assert {line.get("correlation_id") for line in after} == {create["correlation_id"]}
    assert any("succeeded" in line["message"] for line in after)

    # Nothing secret in either output: the worker's token, the apps' secrets.
    for output in (stack.output("portal"), stack.output("worker")):
        assert "dev-portal-worker-secret" not in output and "dev-portal-oidc-secret" not in output
        assert not re.search(r"Bearer (?!\[redacted\])", output)


def log_text(folder):
    return (folder / "gunicorn.log").read_text()


def test_gunicorn_writes_json_with_the_portals_logging_config(tmp_path):
    """What gunicorn.conf.py needs for gunicorn's own lines to be JSON: its log config from
    portal.logging_setup, and the access log on."""
    port = free_port()
    config = tmp_path / "gunicorn.conf.py"
    config.write_text(
        "from portal.logging_setup import gunicorn_logconfig_dict\n"
        "logconfig_dict = gunicorn_logconfig_dict()\n"
        'accesslog = "-"\n'
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "LOG_FORMAT": "json",
        "DJANGO_SECRET_KEY": "gunicorn-test",
        "DJANGO_SECURE_COOKIES": "0",
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "PORTAL_METRICS_TOKEN": "",
    }
    log = open(tmp_path / "gunicorn.log", "w+")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(config), "-b", f"127.0.0.1:{port}", "portal.wsgi"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = requests.get(
                    f"http://127.0.0.1:{port}/metrics",
                    headers={"X-Request-ID": "from-the-balancer-1"},
                    timeout=30,
                )
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, log_text(tmp_path)
                time.sleep(0.2)
        assert answer.status_code == 404 and answer.headers["X-Request-ID"] == "from-the-balancer-1"
        time.sleep(0.5)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
    lines = json_lines(log_text(tmp_path))
    assert any(line["logger"] == "gunicorn.error" and "Listening at" in line["message"] for line in lines)
    (access,) = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert access["request_id"] == "from-the-balancer-1" and "/metrics" in access["message"]


def test_beat_writes_only_json(tmp_path, stack_redis_url):
    """`celery -A portal beat` as the Procfile runs it: no banner, JSON lines only."""
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SECRET_KEY": "beat-test", "REDIS_URL": stack_redis_url}
    log = open(tmp_path / "beat.log", "w+")  # noqa: SIM115
    schedule = str(tmp_path / "beat-schedule")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel=INFO", "--schedule", schedule],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while "beat: Starting" not in (tmp_path / "beat.log").read_text():
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "beat.log").read_text()
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
    lines = json_lines((tmp_path / "beat.log").read_text())
    assert [line["logger"] for line in lines if "beat: Starting" in line["message"]] == ["celery.beat"]
