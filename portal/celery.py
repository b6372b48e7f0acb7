"""The Celery application; its settings live under CELERY_ in portal.settings."""

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The current app for every thread, not only the importing one: a threaded web server's request
# threads queue pushes through celery.current_app, which would otherwise be a default app.
app.set_default()


@setup_logging.connect
def use_django_logging(**kwargs):
    """Worker and beat log through settings.LOGGING, so their lines look like the web's."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
