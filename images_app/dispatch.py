"""Handing work to Celery by task name, so the pipeline never imports its own tasks."""

import logging

from celery import current_app

log = logging.getLogger(__name__)


def send(task_name: str, args: list, *, what: str, otherwise: str, countdown: float | None = None) -> bool:
    """Queue the task; a broker that does not answer is logged ("Could not queue <what>;
    <otherwise>") and answered False, never raised into the caller. Routing comes from settings."""
    try:
        current_app.send_task(task_name, args=args, countdown=countdown)
    except Exception:
        log.exception("Could not queue %s; %s", what, otherwise)
        return False
    return True
