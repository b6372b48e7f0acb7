"""Handing pushes to Celery: which queue each task goes to, when a push is queued, a broker outage."""

import logging

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from images_app import services
from images_app.models import Asset, Status
from portal.celery import app
from tests import images

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True, scope="module")
def registered_tasks():
    """Load the task modules as a worker does at start-up (autodiscovery)."""
    app.loader.import_default_modules()


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("images_app.push_asset", "images"),
        ("images_app.recover_stalled", "maintenance"),
        ("images_app.reconcile", "maintenance"),
    ],
)
def test_each_task_is_routed_to_its_queue(task, queue):
    assert task in app.tasks
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_every_task_goes_to_a_queue_a_worker_with_no_q_argument_consumes():
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    ours = [name for name in app.tasks if name.startswith("images_app.")]
    assert len(ours) == 6
    assert {app.amqp.router.route({}, name)["queue"].name for name in ours} <= declared


def test_the_beat_schedule_names_registered_tasks():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_an_upload_is_queued_only_once_its_transaction_commits(
    client, designer, environments, staging_storage, broker, django_capture_on_commit_callbacks
):
    client.force_login(designer)
    with django_capture_on_commit_callbacks() as callbacks:
        answer = client.post(
            "/environments/production/upload/", {"files": [SimpleUploadedFile("a.png", images.png())]}, **JSON
        )
        assert broker.count() == 0  # nothing is sent while the row may still roll back
    assert len(callbacks) == 1
    callbacks[0]()

    asset_id = answer.json()["files"][0]["asset"]
    with app.connection_for_read() as connection:
        message = connection.SimpleQueue("images").get(timeout=1)
        message.ack()
    assert message.headers["task"] == "images_app.push_asset"
    assert message.headers["argsrepr"] == repr([asset_id])


def test_an_upload_that_needs_review_is_not_queued(
    client, designer, environments, staging_storage, broker, django_capture_on_commit_callbacks
):
    client.force_login(designer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/environments/staging/upload/", {"files": [SimpleUploadedFile("a.png", images.png())]}, **JSON
        )
    assert broker.count() == 0


def test_an_upload_while_the_broker_is_down_is_staged_and_stays_queued(
    client,
    designer,
    environments,
    staging_storage,
    broker_outage,
    caplog,
    django_capture_on_commit_callbacks,
):
    broker_outage()
    client.force_login(designer)
    with caplog.at_level(logging.ERROR, logger="images_app.services"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/environments/production/upload/",
                {"files": [SimpleUploadedFile("a.png", images.png())]},
                **JSON,
            )

    assert response.status_code == 200
    answer = response.json()["files"][0]
    assert answer["result"] == "staged"
    assert Asset.objects.get(pk=answer["asset"]).status == Status.QUEUED
    assert f"Could not queue asset {answer['asset']}" in caplog.text
    assert services.queue_push(answer["asset"]) is False
    assert Asset.objects.get(pk=answer["asset"]).dispatch_failed_at is not None  # for the sweep
