"""The Celery application; its settings live under CELERY_ in portal.settings."""

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def use_django_logging(**kwargs):
    """Worker and beat log through settings.LOGGING, so their lines look like the web's."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
