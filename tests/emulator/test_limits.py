"""The emulator's own rate limit, and faults that hit only a share of the matching requests."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import requests

from pingone_emulator.config import DEFAULT_CONFIG, ConfigurationError, build_configuration
from tests import images
from tests.emulator_support import EmulatorProcess
from tests.ids import ADMINISTRATORS, PRODUCTION

PNG = images.png((8, 8))
PROBE = "/probability-probe"


@pytest.fixture
def limited(emulator):
    """The default emulator, reset again afterwards so that no limit outlives the test."""
    yield emulator
    emulator.reset()


def create(emulator, token):
    """POST a small PNG to Production's Images API with this worker token."""
    return emulator.create_image(PRODUCTION, PNG, token)


def burst(emulator, token, count=20, threads=8):
    """POST `count` creates from several threads at once; return the responses."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda _: create(emulator, token), range(count)))


def logged_creates(emulator):
    """The request log's creates, as (arrival time, status)."""
    return [
        (datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ"), e["status"])
        for e in emulator.requests_log()
        if e["method"] == "POST" and e["path"] == f"/v1/environments/{PRODUCTION}/images"
    ]


def token_request(emulator):
    """Run the worker's client_credentials grant; return the response."""
    worker = emulator.app("worker")
    return requests.post(
        f"{emulator.issuer(ADMINISTRATORS)}/token",
        data={"grant_type": "client_credentials"},
        auth=(worker["client_id"], worker["client_secret"]),
        timeout=10,
    )


def post_settings(emulator, body):
    """POST a body to the settings control; return the response."""
    return requests.post(f"{emulator.base_url}/__emulator__/settings", json=body, timeout=10)


def probe_statuses(emulator, count):
    """GET the probe path `count` times; return the statuses (404 unless a fault hits)."""
    with requests.Session() as session:
        return [session.get(f"{emulator.base_url}{PROBE}", timeout=10).status_code for _ in range(count)]


# the rate limit


def test_no_limit_is_set_by_default(limited):
    settings = requests.get(f"{limited.base_url}/__emulator__/settings", timeout=10).json()
    assert settings["rate_limit_per_second"] is None
    assert settings["image_max_bytes"] == 2_000_000


def test_a_burst_above_the_limit_gets_some_201_and_the_rest_429_request_limited(limited):
    token = limited.worker_token()
    assert limited.set_rate_limit(5)["rate_limit_per_second"] == 5
    answers = burst(limited, token)
    created = [a for a in answers if a.status_code == 201]
    refused = [a for a in answers if a.status_code == 429]
    assert len(created) + len(refused) == 20
    assert 1 <= len(created) <= 10
    assert refused
    for answer in refused:
        assert answer.json()["code"] == "REQUEST_LIMITED"
        assert int(answer.headers["Retry-After"]) >= 1
        assert answer.headers["Correlation-Id"]
    assert len(limited.images(PRODUCTION)) == len(created)


def test_no_one_second_window_of_the_log_holds_more_admitted_creates_than_the_limit(limited):
    token = limited.worker_token()
    limited.set_rate_limit(5)
    first = burst(limited, token)
    time.sleep(0.5)
    second = burst(limited, token)
    time.sleep(0.6)
    third = burst(limited, token)
    logged = logged_creates(limited)
    assert sorted(status for _, status in logged) == sorted(a.status_code for a in first + second + third)
    admitted = sorted(at for at, status in logged if status != 429)
    for start in admitted:
        assert sum(start <= at < start + timedelta(seconds=1) for at in admitted) <= 5
    assert any(a.status_code == 201 for a in third)


def test_after_waiting_retry_after_seconds_creates_are_admitted_again(limited):
    token = limited.worker_token()
    limited.set_rate_limit(2)
    answers = [create(limited, token) for _ in range(4)]
    refused = next(a for a in answers if a.status_code == 429)
    time.sleep(int(refused.headers["Retry-After"]))
    assert create(limited, token).status_code == 201


def test_null_lifts_the_limit(limited):
    token = limited.worker_token()
    limited.set_rate_limit(1)
    assert [create(limited, token).status_code for _ in range(2)] == [201, 429]
    assert limited.set_rate_limit(None)["rate_limit_per_second"] is None
    assert {create(limited, token).status_code for _ in range(8)} == {201}


def test_the_branding_apis_share_the_limit_with_the_images_api(limited):
    token = limited.worker_token()
    limited.set_rate_limit(2)
    assert create(limited, token).status_code == 201
    assert limited.api("GET", f"/environments/{PRODUCTION}/brandingSettings", token=token).status_code == 200
    refused = limited.api("GET", f"/environments/{PRODUCTION}/themes", token=token)
    assert refused.status_code == 429
    assert refused.json()["code"] == "REQUEST_LIMITED"


def test_oidc_hosted_images_and_the_controls_are_not_limited(limited):
    href = create(limited, limited.worker_token()).json()["targets"]["original"]["href"]
    limited.set_rate_limit(0)
    assert {token_request(limited).status_code for _ in range(10)} == {200}
    assert {requests.get(href, timeout=10).status_code for _ in range(10)} == {200}
    assert create(limited, token_request(limited).json()["access_token"]).status_code == 429
    assert limited.images(PRODUCTION) and limited.requests_log()


def test_a_limit_set_at_run_time_shows_in_the_config_and_a_reset_forgets_it(limited):
    limited.set_rate_limit(7)
    config = requests.get(f"{limited.base_url}/__emulator__/config", timeout=10).json()
    assert config["settings"]["rate_limit_per_second"] == 7
    limited.reset()
    config = requests.get(f"{limited.base_url}/__emulator__/config", timeout=10).json()
    assert config["settings"]["rate_limit_per_second"] is None


def test_the_configuration_files_limit_applies_at_start_and_again_after_a_reset():
    config = {**DEFAULT_CONFIG, "settings": {"rate_limit_per_second": 2}}
    with EmulatorProcess(config=config) as configured:
        assert configured.config["settings"]["rate_limit_per_second"] == 2
        token = configured.worker_token()
        assert 429 in [create(configured, token).status_code for _ in range(4)]
        configured.set_rate_limit(None)
        assert {create(configured, token).status_code for _ in range(4)} == {201}
        configured.reset()
        token = configured.worker_token()
        assert configured.settings()["rate_limit_per_second"] == 2
        assert 429 in [create(configured, token).status_code for _ in range(4)]


@pytest.mark.parametrize(
    "body",
    [
        {"rate_limit_per_second": -1},
        {"rate_limit_per_second": "10"},
        {"rate_limit_per_second": True},
        {"rate_limit_per_second": 2.5},
        {"rate_limit_per_second": [5]},
        {"image_max_bytes": 10},
        ["rate_limit_per_second", 5],
    ],
    ids=["negative", "string", "boolean", "fraction", "list", "not-run-time", "not-an-object"],
)
def test_an_invalid_setting_is_refused_with_400_and_changes_nothing(limited, body):
    limited.set_rate_limit(3)
    answer = post_settings(limited, body)
    assert answer.status_code == 400
    assert answer.json()["code"] == "INVALID_DATA"
    assert limited.settings()["rate_limit_per_second"] == 3


def test_a_whole_float_and_zero_are_valid_limits(limited):
    assert post_settings(limited, {"rate_limit_per_second": 4.0}).json()["rate_limit_per_second"] == 4
    assert post_settings(limited, {"rate_limit_per_second": 0}).json()["rate_limit_per_second"] == 0


@pytest.mark.parametrize("value", [-1, "2", 1.5])
def test_an_invalid_limit_in_the_configuration_file_is_refused(value):
    with pytest.raises(ConfigurationError, match="rate_limit_per_second"):
        build_configuration({**DEFAULT_CONFIG, "settings": {"rate_limit_per_second": value}})


# faults with a probability


def test_a_fault_with_probability_one_half_hits_about_half_the_matching_requests(limited):
    limited.add_fault(path=PROBE, status=503, count=10_000, probability=0.5)
    statuses = probe_statuses(limited, 200)
    assert set(statuses) == {503, 404}
    assert 60 <= statuses.count(503) <= 140


def test_a_fault_with_probability_one_and_count_three_hits_exactly_three(limited):
    assert limited.add_fault(path=PROBE, status=503, count=3, probability=1)["probability"] == 1
    assert probe_statuses(limited, 10) == [503] * 3 + [404] * 7


def test_count_still_bounds_the_hits_of_a_fault_with_a_probability(limited):
    limited.add_fault(path=PROBE, status=503, count=10, probability=0.5)
    assert probe_statuses(limited, 150).count(503) == 10


def test_a_request_a_fault_misses_is_left_to_the_next_matching_fault(limited):
    limited.add_fault(path=PROBE, status=503, count=10_000, probability=0.5)
    limited.add_fault(path=PROBE, status=500, count=10_000)
    statuses = probe_statuses(limited, 60)
    assert set(statuses) == {503, 500}


def test_a_fault_without_a_probability_hits_every_matching_request(limited):
    assert limited.add_fault(path=PROBE, status=503, count=5)["probability"] == 1
    assert probe_statuses(limited, 5) == [503] * 5


@pytest.mark.parametrize("probability", [0, -0.1, 1.5, "0.5", True, None])
def test_a_probability_outside_zero_to_one_or_not_a_number_is_refused(limited, probability):
    answer = requests.post(
        f"{limited.base_url}/__emulator__/faults",
        json={"path": PROBE, "status": 503, "probability": probability},
        timeout=10,
    )
    assert answer.status_code == 400
    assert probe_statuses(limited, 1) == [404]
