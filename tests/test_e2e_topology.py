"""Several processes, one portal: two gunicorn web processes (gunicorn.conf.py) on two ports and two
Celery workers with node names of their own, sharing one database, one Redis and one S3 bucket."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests import images
from tests.emulator_support import EmulatorProcess, free_port
from tests.html_forms import submit_sign_in_form
from tests.portal_stack import PortalStack, emulator_config
from tests.s3_server import S3Server
from tests.test_e2e_reliability import RedisServer

pytestmark = pytest.mark.e2e

BUCKET = "portal-staging"
DESIGNER = "designer@example.com"
NODES = ("alpha", "beta")


@pytest.fixture(scope="module")
def topology():
    """Web A (the stack's own port) and web B, workers alpha and beta: one emulator, Redis, S3."""
    port_a, port_b = free_port(), free_port()
    origins = [f"http://127.0.0.1:{port}" for port in (port_a, port_b)]
    s3 = S3Server().start(wait=False)
    own_redis = RedisServer().start()
    with EmulatorProcess(config=emulator_config(origins)) as emulator:
        stack = PortalStack(emulator, port_a, own_redis.url, extra_env=s3.env(BUCKET))
        try:
            # All started at once, then waited for: they boot side by side.
            stack.start(worker=False, server="gunicorn", wait=False)
            web_b = stack.start_web("web-b", port_b, wait=False)
            for node in NODES:
                stack.start_worker(f"worker-{node}", concurrency=1, node_name=f"{node}@%h", wait=False)
            stack.wait()
            web_b.wait()
            for node in NODES:
                stack.wait_worker(f"worker-{node}")
            s3.wait().create_bucket(BUCKET)
            yield stack, web_b, s3
        finally:
            stack.stop()
            own_redis.stop()
            s3.stop()


def test_sign_in_on_a_finishes_on_b_an_upload_to_b_is_live_on_a_and_both_workers_push(topology):
    web_a, web_b, s3 = topology
    emulator = web_a.emulator

    # Signing in starts on A: A keeps the state, nonce and PKCE verifier in the session...
    browser = requests.Session()
    form = browser.get(f"{web_a.url}/login/", timeout=30)
    assert form.url.startswith(emulator.base_url), form.url
    back = submit_sign_in_form(browser, form, DESIGNER, allow_redirects=False)
    callback = back.headers["Location"]
    assert callback.startswith(f"{web_a.url}/auth/callback/"), callback
    # ...and the load balancer sends the callback to B, which reads them from the shared store.
    landed = browser.get(callback.replace(web_a.url, web_b.url, 1), timeout=30)
    assert landed.status_code == 200 and landed.url == f"{web_b.url}/", (landed.url, landed.text[:300])
    assert 'data-environment="production"' in landed.text
    assert browser.get(f"{web_a.url}/environments/production/", timeout=30).status_code == 200

    # Each PingOne create takes a while, so one worker cannot take every push.
    count = 6
    emulator.add_fault(path="/images$", method="POST", latency_ms=300, count=count)
    files = [(f"spread-{n}.png", images.png(size=(5, 5), colour=(n * 30, 10, 90))) for n in range(count)]
    answers = web_b.upload(browser, "production", files).json()["files"]
    assert [a["result"] for a in answers] == ["staged"] * count, answers
    ids = [a["asset"] for a in answers]

    live = web_a.wait_for(browser, "production", ids, {"live"})
    assert all(asset["pingone_image_id"] for asset in live)
    gallery = browser.get(f"{web_a.url}/environments/production/", timeout=30).text
    assert all(name in gallery for name, _ in files)
    assert len(s3.keys(BUCKET)) == count

    # Each asset's history, read through A, names the worker that pushed it: both did.
    pushed_by = {}
    for asset_id in ids:
        page = browser.get(f"{web_a.url}/assets/{asset_id}/", timeout=30).text
        (node,) = re.findall(r"PingOne image [0-9a-f-]+ by (\w+)@", page)
        pushed_by[asset_id] = node
    assert set(pushed_by.values()) == set(NODES), pushed_by
    for node in NODES:
        log = web_a.output(f"worker-{node}")
        assert re.search(r"Task images_app.push_asset\[\S+\] succeeded", log), log[-2000:]

    # gunicorn's access lines go through the portal's logging, secrets redacted: B logged the
    # callback without the authorization code.
    code = parse_qs(urlsplit(callback).query)["code"][0]
    logged = [line for line in web_b.output().splitlines() if "/auth/callback/" in line]
    assert logged and all("gunicorn.access" in line for line in logged), logged
    assert code not in web_a.output("portal") + web_b.output()
