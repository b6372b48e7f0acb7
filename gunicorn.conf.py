"""gunicorn's settings for the portal's web processes: `gunicorn portal.wsgi:application -c gunicorn.conf.py`.

Everything that varies comes from the environment, as the portal's settings do:

- `PORT` (8000): the port to listen on, on every interface (`GUNICORN_BIND` replaces the whole
  bind, e.g. `unix:/run/portal.sock`).
- `WEB_CONCURRENCY` (2): worker processes. Requests mostly wait on the database, S3 and PingOne;
  two to four per core is the usual range.
- `GUNICORN_TIMEOUT` (60): seconds a request may take before its worker is replaced. An upload
  of 100 files, or a sign-on screen change (several PingOne calls of up to 10 s each), fits.
- `FORWARDED_ALLOW_IPS` (127.0.0.1,::1): the proxies whose X-Forwarded-* headers are believed;
  set it to the load balancer's addresses (gunicorn reads this variable itself).

Logging: gunicorn's own error and access lines go through the handlers of Django's `LOGGING`
(portal/settings.py), so they share its format (plain text, or JSON where LOGGING says so) and
its secret redaction; the access log is written to stdout in that format.
"""

import logging
import os
import sys

from gunicorn import glogging

bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Time for requests in flight to finish on SIGTERM (a deploy) before the worker is stopped.
graceful_timeout = 30
# Longer than nothing, shorter than a load balancer's idle timeout (60 s on AWS's ALB).
keepalive = 5
# A worker is replaced after this many requests (with jitter, so not all at once): bounds any slow leak.
max_requests = 2000
max_requests_jitter = 200
# The app is loaded in each worker, after the fork: no database or Redis connection is shared.
preload_app = False
# Request line and headers bounded as gunicorn's defaults; bodies are bounded by the portal.
limit_request_line = 8190

# "-" is stdout. The request id is the one the portal answers with (X-Request-ID), if any.
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


class DjangoLogging(glogging.Logger):
    """gunicorn's loggers, writing through the handlers Django's LOGGING configures.

    `gunicorn.error` propagates to the root logger (LOGGING's handlers); `gunicorn.access` keeps
    one handler of its own, on stdout, with the formatter and filters of LOGGING's root handlers.
    This is the one hook: a change of format in LOGGING (LOG_FORMAT=json) reaches gunicorn's
    lines with no change here.
    """

    def setup(self, cfg):
        super().setup(cfg)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        import django

        # Applies LOGGING as every process of the portal does (its filters and formatters may
        # need the apps loaded). No connection is opened: each worker opens its own after the fork.
        django.setup()
        root_handlers = logging.getLogger().handlers
        for logger in (self.error_log, self.access_log):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
        self.error_log.propagate = True
        self.access_log.propagate = False
        to_stdout = logging.StreamHandler(sys.stdout)
        if root_handlers:
            to_stdout.setFormatter(root_handlers[0].formatter)
            for log_filter in root_handlers[0].filters:
                to_stdout.addFilter(log_filter)
        self.access_log.addHandler(to_stdout)


logger_class = DjangoLogging
