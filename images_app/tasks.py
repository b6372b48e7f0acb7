"""Celery tasks: thin wrappers that take an id and call the service."""

from celery import shared_task

from . import services


# Soft limit first, so the push can record why it stopped before the hard limit kills it.
@shared_task(
    name=services.PUSH_TASK,
    bind=True,
    soft_time_limit=services.PUSH_TIME_LIMIT - 30,
    time_limit=services.PUSH_TIME_LIMIT,
    max_retries=None,
)  # attempts are counted on the asset, not by Celery
def push_asset_task(self, asset_id):
    outcome = services.push_asset(asset_id)
    if outcome is not None and outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)


# Every minute from beat; cheap when nothing is stalled (two indexed queries).
@shared_task(name=services.RECOVER_TASK, soft_time_limit=50, time_limit=60)
def recover_stalled_task():
    services.recover_stalled()
