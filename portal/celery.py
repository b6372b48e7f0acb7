"""The Celery application; its settings live under CELERY_ in portal.settings."""

import os

from celery import Celery
from celery.signals import before_task_publish, celeryd_init, setup_logging, task_postrun, task_prerun
from celery.worker.request import Request

from images_app import log_context

from . import logging_setup

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

    logging_setup.configure(settings.LOGGING)


# --- Logs: the request id follows the work into the worker; JSON mode writes nothing but JSON ---


@before_task_publish.connect
def send_the_request_id_along(headers=None, **kwargs):
    """A task queued while a request (or another task) runs carries its request id."""
    request_id = log_context.request_id()
    if headers is not None and request_id and log_context.REQUEST_ID_HEADER not in headers:
        headers[log_context.REQUEST_ID_HEADER] = request_id


@task_prerun.connect
def start_the_task_log_context(task_id=None, task=None, **kwargs):
    """The task's lines carry the request id it was queued with (else its own task id)."""
    request_id = getattr(task.request, log_context.REQUEST_ID_HEADER, None) if task else None
    log_context.start(request_id=request_id or task_id, task_id=task_id)


@task_postrun.connect
def end_the_task_log_context(**kwargs):
    log_context.clear()


class _ContextRequest(Request):
    """The worker's main process logs "Task ... received" before any task runs: remember which
    request the message came from, so that line names it too."""

    def __init__(self, message, *args, **kwargs):
        super().__init__(message, *args, **kwargs)
        logging_setup.remember_received(self.id, self.request_dict.get(log_context.REQUEST_ID_HEADER))


app.Task.Request = _ContextRequest


@celeryd_init.connect
def quiet_banner_in_json_mode(instance=None, **kwargs):
    """In JSON mode the worker prints no banner (plain text) and logs Python's warnings (such
    as Celery's own at start-up, before its logging is set up) as JSON lines."""
    from django.conf import settings

    if settings.LOG_FORMAT == "json":
        instance.quiet = True
        logging_setup.configure(settings.LOGGING)


class _Beat(app.Beat):
    """`celery beat` likewise: no banner in JSON mode, its log lines say it all."""

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.quiet = self.quiet or settings.LOG_FORMAT == "json"


app.Beat = _Beat
