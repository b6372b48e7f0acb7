"""Settings for the image portal: one file, everything that varies comes from the environment."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from portal.logging_setup import LOG_FORMATS, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default=None):
    value = os.environ.get(name, "").strip()
    return value if value else default


def env_bool(name, default=False):
    value = env_str(name)
    if value is None:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}")


def env_list(name, default):
    value = env_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Django core -------------------------------------------------------------------------

# Off unless asked for: a deployment that forgets it must not serve debug pages.
DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    # The project's own commands (runserver logging as LOG_FORMAT says); first, so they win.
    "portal.apps.PortalConfig",
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Index expressions with operator classes (the trigram search index); inert on SQLite.
    "django.contrib.postgres",
    "storages",
    "csp",
    "images_app",
]

MIDDLEWARE = [
    # First: every answer, a refusal by a later middleware included, carries X-Request-ID, and
    # every line logged while a request runs carries its id.
    "portal.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Refuses oversized and anonymous upload bodies from the headers alone. It runs before the
    # CSRF check reads (and spools) a multipart body: views' hooks run after every middleware.
    "portal.request_limits.RequestLimitMiddleware",
    "portal.session_recheck.GroupRecheckMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "images_app.context_processors.portal_user",
            ],
        },
    },
]

# Local state when no external service is configured: SQLite, staged files, static cache.
DATA_DIR = Path(env_str("PORTAL_DATA_DIR", str(BASE_DIR / ".data")))
(DATA_DIR / "static").mkdir(parents=True, exist_ok=True)

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'portal.sqlite3'}"),
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The web process and the worker write at once: wait for the lock instead of failing,
    # and take it at the start of each transaction so no reader has to upgrade later.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = []
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
# Serve static files straight from static/: no collectstatic step before the first run.
WHITENOISE_USE_FINDERS = True

# --- Sessions and security ---------------------------------------------------------------

# Sessions live in the shared database, so any web process can serve any request: a sign-in
# started on one (its OIDC state, nonce and PKCE verifier are in the session) finishes on another,
# and a load balancer needs no sticky sessions. Not the cache: a Redis outage must not sign
# everyone out.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Lax: the OIDC callback is a top-level cross-site GET and must carry the session (state).
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
# The portal is served over HTTPS unless DJANGO_SECURE_COOKIES=0 says it is a local http one
# (make run, the tests): then cookies, the redirect to https and HSTS are all off.
SERVED_OVER_HTTPS = env_bool("DJANGO_SECURE_COOKIES", True)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SERVED_OVER_HTTPS
SECURE_SSL_REDIRECT = SERVED_OVER_HTTPS and not DEBUG
# A load balancer's health check may come over plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000) if SERVED_OVER_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_AGE = 8 * 3600
# How old a session's view of the user's groups may get before PingOne is asked again.
PORTAL_SESSION_RECHECK_SECONDS = env_int("PORTAL_SESSION_RECHECK_SECONDS", 900)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_TLS_PROXY") else None
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Nothing the portal does needs any of these browser features.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# --- Redis: broker, cache, token cache ---------------------------------------------------

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
# Short socket timeouts so a Redis outage fails fast instead of hanging a request.
REDIS_SOCKET_TIMEOUT = 2

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "portal",
        "OPTIONS": {
            "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
            "socket_timeout": REDIS_SOCKET_TIMEOUT,
        },
    }
}

# --- Celery ------------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
# Pushes and the recovery sweep have queues of their own, so a sweep never waits behind a
# backlog of pushes. A worker started with no -Q consumes every queue listed here.
CELERY_TASK_QUEUES = (
    Queue("images", Exchange("images"), routing_key="images"),
    Queue("maintenance", Exchange("maintenance"), routing_key="maintenance"),
    # Mail apart too: a slow or unreachable mail server never delays a push.
    Queue("mail", Exchange("mail"), routing_key="mail"),
)
CELERY_TASK_DEFAULT_QUEUE = "images"
CELERY_TASK_ROUTES = {
    "images_app.push_asset": {"queue": "images"},
    "images_app.recover_stalled": {"queue": "maintenance"},
    "images_app.refresh_branding_usage": {"queue": "maintenance"},
    "images_app.send_review_digest": {"queue": "mail"},
    "images_app.send_asset_notice": {"queue": "mail"},
    "images_app.reconcile": {"queue": "maintenance"},
}
# Acknowledge after the task ran, so a worker that dies mid-push hands the message back.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per process: pushes are slow I/O and must not wait behind a busy one.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django integration closes the database connection around every task unless told to
# reuse it: without this, every push opened a new Postgres session. Django's CONN_MAX_AGE and
# health checks still retire old or broken connections.
CELERY_DB_REUSE_MAX = 1000
# `celery -A portal beat` runs these.
# How often beat sweeps for undispatched and interrupted pushes.
PORTAL_SWEEP_SECONDS = env_int("PORTAL_SWEEP_SECONDS", 30)
CELERY_BEAT_SCHEDULE = {
    "recover-stalled-assets": {"task": "images_app.recover_stalled", "schedule": float(PORTAL_SWEEP_SECONDS)},
    "refresh-branding-usage": {"task": "images_app.refresh_branding_usage", "schedule": 600.0},
}
# Optional: every this many days (7: weekly), beat reads every live asset back from PingOne and
# records the ones it no longer has in their history (manage.py reconcile --mark). 0: never.
PORTAL_RECONCILE_EVERY_DAYS = env_int("PORTAL_RECONCILE_EVERY_DAYS", 0)
if PORTAL_RECONCILE_EVERY_DAYS > 0:
    CELERY_BEAT_SCHEDULE["reconcile-with-pingone"] = {
        "task": "images_app.reconcile",
        "schedule": float(PORTAL_RECONCILE_EVERY_DAYS * 24 * 3600),
    }
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_timeout": 5,
    # Longer than any countdown we schedule, so delayed retries are not redelivered early.
    "visibility_timeout": 3600,
}
# An upload must not hang on a broker outage: give up quickly, the row stays queued.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}

# --- Email -------------------------------------------------------------------------------

# Mail is printed to the log unless EMAIL_HOST names an SMTP server. Workers send it, never a
# request, so a mail server that is down delays mail and nothing else.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS (STARTTLS) or EMAIL_USE_SSL (implicit TLS), not both")
# Seconds for each network operation with the mail server: a hung server fails the attempt,
# which is retried later, instead of holding a worker.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Image Portal <image-portal@localhost>")
# Links in mail are absolute: workers have no request to take the host from.
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Besides the members of PORTAL_ADMIN_GROUP, who get the review digest.
PORTAL_ADMIN_EMAILS = env_list("PORTAL_ADMIN_EMAILS", [])
# At most one review digest per environment in this many seconds; uploads in between wait
# for the next one.
PORTAL_REVIEW_DIGEST_SECONDS = env_int("PORTAL_REVIEW_DIGEST_SECONDS", 120)

# --- Storage -----------------------------------------------------------------------------

STORAGE_BACKEND = env_str("STORAGE_BACKEND", "filesystem")
MEDIA_ROOT = Path(env_str("PORTAL_MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"
if STORAGE_BACKEND == "filesystem":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif STORAGE_BACKEND == "s3":
    from botocore.config import Config as _S3ClientConfig

    # django-storages over boto3; keys come from the usual AWS_* variables (AWS_ACCESS_KEY_ID,
    # AWS_SECRET_ACCESS_KEY, or an instance/task role when they are unset).
    AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
    if not AWS_STORAGE_BUCKET_NAME:
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME")
    # Unset for AWS; MinIO, Ceph or any other S3-compatible server otherwise.
    AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL")
    AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME")
    # Objects are private: no ACL is sent, so the bucket's own (private, or owner-enforced) applies.
    # Nobody fetches a staged file from S3 directly: the portal serves it to signed-in users who
    # may see the asset, and workers read it with the keys.
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    # Should a signed URL ever be made, it lasts five minutes.
    AWS_QUERYSTRING_EXPIRE = 300
    # Staged names are random (uuid4): no name is reused, so no existence check before each write.
    AWS_S3_FILE_OVERWRITE = True
    # An S3 that is down or refuses fails the one file within seconds, with a clear message,
    # instead of holding the upload request through boto3's default retries.
    AWS_S3_CLIENT_CONFIG = _S3ClientConfig(
        signature_version="s3v4",
        s3={"addressing_style": env_str("AWS_S3_ADDRESSING_STYLE", "auto")},
        connect_timeout=env_int("AWS_S3_CONNECT_TIMEOUT", 3),
        read_timeout=env_int("AWS_S3_READ_TIMEOUT", 10),
        retries={"mode": "standard", "max_attempts": 2},
    )
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be 'filesystem' or 's3', not {STORAGE_BACKEND!r}")

STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- PingOne -----------------------------------------------------------------------------

PINGONE_REGIONS = {"com", "eu", "ca", "com.au", "sg", "asia"}
PINGONE_REGION = env_str("PINGONE_REGION", "com")
if PINGONE_REGION not in PINGONE_REGIONS:
    raise ImproperlyConfigured(
        f"PINGONE_REGION must be one of {', '.join(sorted(PINGONE_REGIONS))}, not {PINGONE_REGION!r}"
    )
PINGONE_AUTH_BASE_URL = env_str("PINGONE_AUTH_BASE_URL", f"https://auth.pingone.{PINGONE_REGION}").rstrip("/")
PINGONE_API_BASE_URL = env_str("PINGONE_API_BASE_URL", f"https://api.pingone.{PINGONE_REGION}/v1").rstrip("/")

# The defaults are the bundled emulator's; production sets all of these.
PINGONE_OIDC_ENVIRONMENT_ID = env_str("PINGONE_OIDC_ENVIRONMENT_ID", "5a1b0c6e-7d3f-4c2a-9b1e-0d8f2a6c4e01")
PINGONE_OIDC_CLIENT_ID = env_str("PINGONE_OIDC_CLIENT_ID", "9d4e3f91-a062-4f5d-8e41-3abc5d9f7b04")
PINGONE_OIDC_CLIENT_SECRET = env_str("PINGONE_OIDC_CLIENT_SECRET", "dev-portal-oidc-secret")
# Unset: PingOne's discovery document for the OIDC environment (see portal.oidc).
OIDC_SERVER_METADATA_URL = env_str("OIDC_SERVER_METADATA_URL")
PINGONE_WORKER_ENVIRONMENT_ID = env_str(
    "PINGONE_WORKER_ENVIRONMENT_ID", "5a1b0c6e-7d3f-4c2a-9b1e-0d8f2a6c4e01"
)
PINGONE_WORKER_CLIENT_ID = env_str("PINGONE_WORKER_CLIENT_ID", "ae5f40a2-b173-4a6e-9f52-4bcd6ea08c05")
PINGONE_WORKER_CLIENT_SECRET = env_str("PINGONE_WORKER_CLIENT_SECRET", "dev-portal-worker-secret")
# (connect, read) seconds for every call to PingOne.
PINGONE_TIMEOUT = (5, 30)
# Only https links and images from PingOne are rendered; the emulator's local http ones too
# when this is on (it follows DJANGO_DEBUG unless set).
PORTAL_ALLOW_HTTP_IMAGE_LINKS = env_bool("PORTAL_ALLOW_HTTP_IMAGE_LINKS", DEBUG)


def _origin(url):
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme == "http" and parts.netloc else None


_LOCAL_HTTP_ORIGINS = sorted(
    {o for o in map(_origin, [PINGONE_AUTH_BASE_URL, PINGONE_API_BASE_URL, OIDC_SERVER_METADATA_URL]) if o}
    if PORTAL_ALLOW_HTTP_IMAGE_LINKS
    else set()
)

# No inline script or style anywhere: every script and stylesheet is a file under static/.
# Images come from PingOne's https hosts; the sign-out form is redirected to PingOne's signoff.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # blob: for the upload page's previews of the chosen files, before they are sent.
        "img-src": ["'self'", "https:", "blob:", *_LOCAL_HTTP_ORIGINS],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'", "https:", *_LOCAL_HTTP_ORIGINS],
        "frame-ancestors": ["'none'"],
    }
}

# --- Portal ------------------------------------------------------------------------------

PORTAL_ADMIN_GROUP = env_str("PORTAL_ADMIN_GROUP", "Image Portal Admins")
PORTAL_MAX_IMAGE_BYTES = env_int("PORTAL_MAX_IMAGE_BYTES", 2_000_000)
PORTAL_MAX_IMAGE_PIXELS = env_int("PORTAL_MAX_IMAGE_PIXELS", 16_000_000)
PORTAL_MAX_FILES_PER_UPLOAD = env_int("PORTAL_MAX_FILES_PER_UPLOAD", 100)
PORTAL_PUSH_MAX_ATTEMPTS = env_int("PORTAL_PUSH_MAX_ATTEMPTS", 5)
# A push whose worker vanished is pushed again on its own at most this many times.
PORTAL_MAX_INTERRUPTED_PUSHES = env_int("PORTAL_MAX_INTERRUPTED_PUSHES", 3)
# PingOne answers 403/404 for a while after an environment is created: retried, not failed.
PORTAL_NEW_ENVIRONMENT_GRACE_SECONDS = env_int("PORTAL_NEW_ENVIRONMENT_GRACE_SECONDS", 120)
# All workers together stay under this many PingOne requests per second (unset: no budget).
PINGONE_RATE_LIMIT_PER_SECOND = env_int("PINGONE_RATE_LIMIT_PER_SECOND", None)
# Where the shared budget and 429 pauses live (None: nowhere, for in-process tests).
PINGONE_RATE_LIMIT_REDIS_URL = REDIS_URL
PORTAL_GALLERY_PAGE_SIZE = 24
# Unset: /metrics answers 404 and /healthz/ shows its detail to admins only.
PORTAL_METRICS_TOKEN = env_str("PORTAL_METRICS_TOKEN")
# Where web processes and workers add up the counts /metrics shows (None: counted nowhere, for
# in-process tests); the shared Redis, so a push counted on any machine shows on every web.
PORTAL_METRICS_REDIS_URL = REDIS_URL

# The upload form counts files and answers "too many" itself; Django's own refusal, which
# happens while parsing and before any view, is only a backstop far above that.
DATA_UPLOAD_MAX_NUMBER_FILES = max(1000, PORTAL_MAX_FILES_PER_UPLOAD * 2)
# Small requests stay in memory (Django's own 2.5 MB rule); larger ones go to temporary
# files, each cut off just past PORTAL_MAX_IMAGE_BYTES while it streams in.
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "images_app.upload_handlers.CappedTemporaryFileUploadHandler",
]

# --- Logging -----------------------------------------------------------------------------

# text (the default, as `make run` shows it) or json: one JSON object per line, with the request
# id, task, asset, environment and PingOne's Correlation-Id (portal.logging_setup).
LOG_FORMAT = env_str("LOG_FORMAT", "text").lower()
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'text' or 'json', not {LOG_FORMAT!r}")
LOGGING_CONFIG = "portal.logging_setup.configure"
LOGGING = logging_config(LOG_FORMAT, env_str("LOG_LEVEL", "INFO"))

CSRF_FAILURE_VIEW = "portal.errors.csrf_failure"
