"""Celery tasks: thin wrappers that take an id and call the service."""

from celery import shared_task

from . import services


# The name is a contract with running workers: keep it when moving code.
# Pushes are one HTTP call with a 30 s read timeout; 120 s leaves room for a token fetch too.
@shared_task(name="images_app.push_asset", bind=True, soft_time_limit=120, time_limit=150,
             max_retries=None)  # attempts are counted on the asset, not by Celery
def push_asset_task(self, asset_id):
    outcome = services.push_asset(asset_id)
    if outcome is not None and outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)


# Every minute from beat; cheap when nothing is stalled (two indexed queries).
@shared_task(name="images_app.recover_stalled", soft_time_limit=50, time_limit=60)
def recover_stalled_task():
    services.recover_stalled()
