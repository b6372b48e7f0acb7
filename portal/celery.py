"""The Celery application; its settings live under CELERY_ in portal.settings."""

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The current app for every thread, not only the importing one: a threaded web server's request
# threads queue pushes through celery.current_app, which would otherwise be a default app.
app.set_default()


@task_prerun.connect
def retire_old_connections(**kwargs):
    """Connections are kept across tasks (CELERY_DB_REUSE_MAX); drop one that is too old or broken
    before a task uses it, as Django does around each request. One inside a transaction (a task
    run in-process, under a test) is left alone."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


@setup_logging.connect
def use_django_logging(**kwargs):
    """Worker and beat log through settings.LOGGING, so their lines look like the web's."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
