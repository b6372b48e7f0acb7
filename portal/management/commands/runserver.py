"""runserver (with static files, as django.contrib.staticfiles serves them) whose own output, the
banner and the system checks, goes through the log when LOG_FORMAT=json: then every line the
development server writes is one JSON object, like its access log's."""

import logging

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as StaticfilesRunserver

from portal.logging_setup import LogLines


class Command(StaticfilesRunserver):
    def execute(self, *args, **options):
        if settings.LOG_FORMAT == "json":
            options["stdout"] = LogLines(logging.getLogger("django.server"))
            options["stderr"] = LogLines(logging.getLogger("django.server"), logging.ERROR)
        return super().execute(*args, **options)
