"""Conductor settings: every value comes from the environment (see README, "Configuration").

A missing or malformed variable stops start-up with ImproperlyConfigured naming it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from ppm.db import check_pooled_connection
from ppm.env import (
    env_bool,
    env_database_url,
    env_int,
    env_list,
    env_redis_url,
    env_str,
    env_timezone,
    redis_database_for_worker,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is not set; it is required when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105
elif not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY is too short; use at least 50 random characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set; it is required when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if not _origin.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS entry {_origin!r} must start with http:// or https://."
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "pgtrigger",
    "pghistory",
    "ppm",
    "portfolio",
    "projects",
    "governance",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Records the acting user on every audit event written during the request.
    "pghistory.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy from SECURE_CSP on every response.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Cache-Control: private, no-store on pages for a signed-in user.
    "ppm.middleware.PrivateCacheMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A NUL in a query string or a posted field name: 400 (inside the others, so the error
    # page gets their headers).
    "ppm.middleware.RefuseNulMiddleware",
]

ROOT_URLCONF = "ppm.urls"
WSGI_APPLICATION = "ppm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # csp_nonce for a template that needs an inline <style> (the nonce is sent
                # only when a page reads it).
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ppm.context_processors.navigation",
                "ppm.context_processors.fiscal_year",
            ],
        },
    },
]

# --- Database: PostgreSQL only, through psycopg 3 and Django's native connection pool.
DATABASES = {"default": env_database_url("DATABASE_URL")}
if env_bool("DB_POOL", True):
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 0,
        "max_size": env_int("DB_POOL_MAX_SIZE", 8),
        "timeout": env_int("DB_POOL_TIMEOUT", 10),
        # A pooled connection outlives a PostgreSQL restart on our side only: without a check
        # on checkout, each stale one was a 500. The check is one empty round trip, and a
        # dead connection is replaced before the request sees it; the first dead one found
        # has every idle connection checked at once (ppm/db.py says why).
        "check": check_pooled_connection,
    }
# PostgreSQL's JIT compiles a query once its estimated cost crosses jit_above_cost: right for
# long analytic queries, wrong for a web request. On rollup tables whose statistics lag their
# rewrites, a 5-row portfolio query was estimated costly enough to spend 34 ms compiling
# (bench/README.md); the app's sessions run without it. DB_JIT=true restores the default.
if not env_bool("DB_JIT", False):
    DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker, result backend and the cache.
REDIS_URL = env_redis_url("REDIS_URL")
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _xdist_worker and os.environ.get("REDIS_URL_OF_WORKER") != _xdist_worker:
    # `make test` runs the suite in several pytest-xdist workers, each with a test database
    # of its own; each gets a Redis database of its own too, so the sign-in throttle, the
    # cache and task debouncing of one worker's tests never see another's keys. Exported,
    # with the worker it was moved for, so a process a test starts (a Celery worker) uses
    # the same database rather than moving it again.
    REDIS_URL = os.environ["REDIS_URL"] = redis_database_for_worker(REDIS_URL, _xdist_worker)
    os.environ["REDIS_URL_OF_WORKER"] = _xdist_worker
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "conductor"),
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "conductor")
CELERY_BEAT_SCHEDULE = {
    # The sweep: whatever is still stale (a lost message, a broker outage) is recomputed.
    "rollup-sweep": {"task": "projects.recompute_stale", "schedule": 30.0},
    # The nightly full recompute: figures that depend on the date (PV, slip) move every day,
    # so it runs just after midnight in the organisation's zone (CELERY_TIMEZONE below): at
    # 02:15 UTC, everywhere west of UTC read yesterday's figures for most of the day.
    "rollup-nightly": {
        "task": "projects.recompute_all",
        "schedule": crontab(minute=5, hour=0),
    },
    # The weekly snapshot behind trend charts, after Sunday night's full recompute.
    "rollup-weekly-snapshot": {
        "task": "projects.snapshot_rollups",
        "schedule": crontab(minute=35, hour=0, day_of_week="mon"),
    },
    # Reviews past their SLA: approvers and requester told once (governance/tasks.py).
    "reviews-overdue": {"task": "governance.flag_overdue_reviews", "schedule": 15 * 60.0},
    # Report schedules live in their own table (reporting.models.ReportSchedule), edited by
    # the PMO in the app; this one task fires whatever is due, each due time once.
    "reports-dispatch": {
        "task": "reporting.dispatch_reports",
        "schedule": float(env_int("REPORT_DISPATCH_SECONDS", 60)),
    },
}

# --- Auth.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sign-in throttle (ppm/accounts/throttle.py): failures allowed per account and per client
# address before both sign-in forms refuse further attempts for LOGIN_LOCKOUT_MINUTES. The
# address limit is higher: many people may share one office address.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 30)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
if min(LOGIN_FAILURE_LIMIT, LOGIN_ADDRESS_FAILURE_LIMIT, LOGIN_LOCKOUT_MINUTES) < 1:
    raise ImproperlyConfigured(
        "LOGIN_FAILURE_LIMIT, LOGIN_ADDRESS_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be >= 1."
    )
# Reverse proxies in front of the app that append to X-Forwarded-For; the client address is
# the entry this many places from the right. 0: REMOTE_ADDR (a proxy then looks like one user).
NUM_PROXIES = env_int("NUM_PROXIES", 0)
if NUM_PROXIES < 0:
    raise ImproperlyConfigured("NUM_PROXIES must be 0 or more.")
# Evidence attached to a gate checklist: the largest file accepted (bytes). Files are stored
# through Django's storage API (STORAGES["default"]): local MEDIA_ROOT by default.
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
if env_int("REPORT_DISPATCH_SECONDS", 60) < 1:
    raise ImproperlyConfigured("REPORT_DISPATCH_SECONDS must be 1 or more.")
# A report PDF up to this size (bytes) is attached to its mail; a larger one is linked.
REPORT_ATTACH_MAX_BYTES = env_int("REPORT_ATTACH_MAX_BYTES", 5 * 1024 * 1024)
# Days a submitted change request may wait for its decision before My approvals flags it.
CHANGE_REQUEST_DECISION_DAYS = env_int("CHANGE_REQUEST_DECISION_DAYS", 10)

# --- Time: stored in UTC, shown in the organisation's zone.
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_timezone("TIME_ZONE", "UTC")
# Periodic tasks run on the organisation's clock, the same day the figures use
# (timezone.localdate()).
CELERY_TIMEZONE = TIME_ZONE
# The fiscal year's first month is the PMO's, set in the app (HealthPolicy, /governance/policy/).
USE_I18N = True
USE_TZ = True

# --- Static files, served by whitenoise in every deployment.
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploaded files (gate evidence) go through Django's storage API: local files in MEDIA_ROOT,
# or with FILE_STORAGE=s3 an S3-compatible bucket through django-storages (not installed by
# default: pip install "django-storages[s3]"). Either way nothing is served from the store
# directly; the app streams a file to the people who may see it.
FILE_STORAGE = env_str("FILE_STORAGE", "local").lower()
if FILE_STORAGE == "s3":
    import importlib.util

    if not (importlib.util.find_spec("storages") and importlib.util.find_spec("boto3")):
        raise ImproperlyConfigured(
            'FILE_STORAGE=s3 needs django-storages with boto3: pip install "django-storages[s3]".'
        )
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_str("S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("S3_REGION", "") or None,
            # Empty: boto3 finds credentials itself (its environment variables, an IAM role).
            "access_key": env_str("S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY", "") or None,
            "location": env_str("S3_PREFIX", ""),
            "file_overwrite": False,
        },
    }
elif FILE_STORAGE != "local":
    raise ImproperlyConfigured(f"FILE_STORAGE={FILE_STORAGE!r}: use local or s3.")

# --- Cost imports. A file is read and checked inside a web request, so what it expands to is
# capped as well as what it weighs: a 182 KB workbook held 300,000 rows and kept a worker
# busy for two minutes. A checked file waits in the cache (not in the page) until applied.
COST_IMPORT_MAX_UPLOAD_BYTES = env_int("COST_IMPORT_MAX_UPLOAD_BYTES", 2 * 1024 * 1024)
COST_IMPORT_MAX_ROWS = env_int("COST_IMPORT_MAX_ROWS", 5_000)
COST_IMPORT_MAX_EXPANDED_BYTES = env_int("COST_IMPORT_MAX_EXPANDED_BYTES", 3 * 1024 * 1024)
COST_IMPORT_REVIEW_MINUTES = env_int("COST_IMPORT_REVIEW_MINUTES", 60)
for _name in (
    "COST_IMPORT_MAX_UPLOAD_BYTES",
    "COST_IMPORT_MAX_ROWS",
    "COST_IMPORT_MAX_EXPANDED_BYTES",
    "COST_IMPORT_REVIEW_MINUTES",
):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1.")

# --- Microsoft Project plans (XML) imported as milestones: read inside a web request too, so
# a plan is capped by what it weighs and by its tasks (projects.imports.mspdi).
MSPDI_IMPORT_MAX_BYTES = env_int("MSPDI_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
MSPDI_IMPORT_MAX_TASKS = env_int("MSPDI_IMPORT_MAX_TASKS", 20_000)
for _name in ("MSPDI_IMPORT_MAX_BYTES", "MSPDI_IMPORT_MAX_TASKS"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1.")

# --- Email (Django 6.1 MAILERS). SMTP in production; the console with DEBUG on.
EMAIL_BACKEND_PATH = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
_email_use_tls = env_bool("EMAIL_USE_TLS", False)
_email_use_ssl = env_bool("EMAIL_USE_SSL", False)
if _email_use_tls and _email_use_ssl:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true.")
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH, "OPTIONS": {}}}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": _email_use_tls,
        "use_ssl": _email_use_ssl,
        "timeout": env_int("EMAIL_TIMEOUT", 20),
    }
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "conductor@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Notifications (ppm/notifications.py): an inbox, and mail sent by the worker. A worker has
# no request to read the site's address from, so links in mail need SITE_URL; empty, a mail
# names the page by its path.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
if SITE_URL and not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must start with http:// or https://.")
# The hour, on the organisation's clock, the daily digest goes out.
NOTIFICATION_DIGEST_HOUR = env_int("NOTIFICATION_DIGEST_HOUR", 7)
if not 0 <= NOTIFICATION_DIGEST_HOUR <= 23:
    raise ImproperlyConfigured("NOTIFICATION_DIGEST_HOUR must be an hour, 0 to 23.")
CELERY_BEAT_SCHEDULE |= {
    # The sweep: mail written while the broker or the worker was down goes when it is back
    # (claimed, so once), and rows a killed worker left half-sent go after 15 minutes.
    "notifications-sweep": {"task": "ppm.send_notifications", "schedule": 60.0},
    "notifications-digest": {
        "task": "ppm.send_digests",
        "schedule": crontab(minute=0, hour=NOTIFICATION_DIGEST_HOUR),
    },
    # Status reports due within two days or overdue: before the working day starts.
    "status-reports-due": {
        "task": "projects.status_reports_due",
        "schedule": crontab(minute=30, hour=6),
    },
}

# --- Security: strict unless DEBUG; HTTPS settings can be relaxed behind a TLS-terminating proxy.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Health probes come from inside the deployment over plain HTTP (a container's own check).
SECURE_REDIRECT_EXEMPT = [r"^healthz(?:/(?:live|ready|worker))?$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (Django's own middleware). Scripts only from our origin: no inline
# script, no event-handler attribute, no eval (htmx runs with allowEval off, see base.html).
# Styles likewise: bars use width classes instead of style attributes and charts use SVG
# presentation attributes, which CSP does not govern; the nonce serves only the 500 page's
# inline <style> (it is sent only when a page uses it).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Health checks (/healthz…): who sees the details, and how long a worker answer is reused.
# Empty: only staff sessions see which check failed and why.
HEALTHZ_TOKEN = env_str("HEALTHZ_TOKEN", "")
HEALTHZ_WORKER_CACHE_SECONDS = env_int("HEALTHZ_WORKER_CACHE_SECONDS", 5)
if HEALTHZ_WORKER_CACHE_SECONDS < 1:
    raise ImproperlyConfigured("HEALTHZ_WORKER_CACHE_SECONDS must be at least 1.")

# --- API.
REST_FRAMEWORK = {
    # A personal API token first: a request carrying `Authorization: Bearer …` is judged by it
    # alone, and this class's challenge makes DRF answer 401 (not 403) to a request with no
    # credentials. Without the header, the browser's session (with its CSRF check).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ppm.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "ppm.api.pagination.Cursor",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["ppm.api.throttling.PerTokenThrottle"],
    # JSON only: the browsable API's forms would be a second UI to secure and keep accessible.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
}
# Requests per token (each of a person's tokens counts alone) and per person's session.
API_RATE_TOKEN = env_str("API_RATE_TOKEN", "600/min")
API_RATE_SESSION = env_str("API_RATE_SESSION", "1200/min")
for _name, _rate in (("API_RATE_TOKEN", API_RATE_TOKEN), ("API_RATE_SESSION", API_RATE_SESSION)):
    if not re.fullmatch(r"[1-9][0-9]{0,6}/(s|sec|m|min|h|hour|d|day)", _rate):
        raise ImproperlyConfigured(f"{_name}={_rate!r} is not a rate such as 600/min.")
# /api/schema/ (OpenAPI 3) and its readers /api/docs/ (Swagger UI) and /api/redoc/, served
# from drf-spectacular-sidecar's static files: nothing is fetched from a CDN.
SPECTACULAR_SETTINGS = {
    "TITLE": "Conductor API",
    "DESCRIPTION": "Portfolios, projects and their records, the KPI catalogue and its figures. "
    "Every endpoint shows what its user may see in the browser, no more.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Signed-in users only (a session or a token), as every other endpoint.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"RagEnum": "projects.choices.RAG"},
}

# --- Structured logging: one JSON object per line on stdout.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not a logging level.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "ppm.logging.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "celery": {"level": LOG_LEVEL},
        # WeasyPrint logs every layout step at INFO and each unsupported CSS rule at WARNING
        # (the stylesheet is ours and checked): errors only.
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
    },
}

# --- Audit trail: PostgreSQL triggers record inserts, updates (bulk ones too) and deletes.
import pghistory  # noqa: E402 - settings need the tracker classes

from ppm.audit_trackers import BaselineEvent  # noqa: E402

# clock_timestamp(), not NOW(): events written in one transaction keep their real order.
PGHISTORY_CREATED_AT_FUNCTION = "clock_timestamp()"
# BaselineEvent snapshots a row the trail has never seen (seeded or loaded with the triggers
# off) just before its first audited change, so that change reads "from … to …" too.
PGHISTORY_DEFAULT_TRACKERS = (
    pghistory.InsertEvent(),
    BaselineEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
)
