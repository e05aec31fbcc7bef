"""Plumbline settings: every value comes from the environment (see README "Configuration").

With nothing set, Plumbline runs embedded: a SQLite file and Celery on kombu's
filesystem transport, both under ./var. DATABASE_URL and REDIS_URL switch it to
PostgreSQL and Redis.
"""

from __future__ import annotations

import ipaddress
import math
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab

from plumbline.accounts.oidc import config as oidc_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PLUMBLINE_VAR_DIR", BASE_DIR / "var"))


# Every variable Plumbline itself reads, so never a credential (catalog/spec/checks.py). The helpers below
# add each name they read; listed here are reads outside them or on one path only, which
# tests/monitoring/test_credentials.py checks against this file. "X_*": every name starting with X_.
SETTINGS_ENV = {"PLUMBLINE_VAR_DIR", "PLUMBLINE_DB_PREPARED", "PLUMBLINE_TEST_SQLITE", "DJANGO_SETTINGS_MODULE"}
SETTINGS_ENV |= {"PLUMBLINE_WEBHOOK_*", "PLUMBLINE_WEB_WORKERS"}  # monitoring/conf.py, bin/run
SETTINGS_ENV |= {"PLUMBLINE_BIND", "PLUMBLINE_WORKER_CONCURRENCY"}  # plumbline/gunicorn_conf.py, bin/serve


def env_str(name: str, default: str = "") -> str:
    SETTINGS_ENV.add(name)
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    SETTINGS_ENV.add(name)
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    SETTINGS_ENV.add(name)
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    # An embedded install keeps a generated key in var/ so sessions survive restarts.
    if key := env_str("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Behind HTTPS in production: cookies only over TLS, HSTS, plain HTTP redirected, and the proxy's
# header that says a request came over HTTPS ("HTTP_X_FORWARDED_PROTO,https"; set it only behind a
# proxy that overwrites that header, or clients could claim HTTPS).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES")
SECURE_HSTS_SECONDS = int(env_str("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
if proxy_header := env_list("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (proxy_header[0], proxy_header[1])
# Reverse proxies in front of gunicorn (1 behind deploy/nginx): the client's address is then read from
# X-Forwarded-For (plumbline/proxy.py). 0: REMOTE_ADDR as gunicorn saw it.
PLUMBLINE_PROXIES = int(env_str("PLUMBLINE_PROXIES", "0"))
X_FRAME_OPTIONS = "DENY"
# No inline script anywhere (pages load vendored files only); plumbline.middleware sets it on every
# response that has none of its own (the graph downloads have a stricter one).
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "plumbline.accounts",
    "catalog",
    "monitoring",
]

MIDDLEWARE = [
    # First, so every later reader of REMOTE_ADDR sees the client behind the proxies.
    "plumbline.proxy.ForwardedForMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "plumbline.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Pings are answered here, with the headers above and none of the session machinery below.
    "monitoring.middleware.PingMiddleware",
    "plumbline.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After CSRF (which reads form posts first) and authentication (the 400 page shows the user).
    "plumbline.middleware.UnstorableInputMiddleware",
]

ROOT_URLCONF = "plumbline.urls"
WSGI_APPLICATION = "plumbline.wsgi.application"

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
            ],
        },
    },
]

# Django's form renderer, with the input, select and textarea widgets written without templates.
FORM_RENDERER = "plumbline.form_rendering.FastWidgetRenderer"

DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'plumbline.sqlite3'}"
# Health checks: a connection kept between requests that the server has closed meanwhile (a
# PostgreSQL restart) is replaced before the request uses it, instead of failing it.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
# Django's own queries bind client-side and are never prepared; this lets the one statement that
# accepts a heartbeat be (monitoring/ingest/heartbeats.py). Behind a transaction-pooling PgBouncer older
# than 1.21, set PLUMBLINE_DB_PREPARED=false.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("PLUMBLINE_DB_PREPARED", True):
    DATABASES["default"]["OPTIONS"] = {"prepare_threshold": 5}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Workers and the web process share the file: wait for locks instead of failing.
    # WAL lets the web process read while a worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    if test_name := env_str("PLUMBLINE_TEST_SQLITE"):
        # A file (not :memory:) so a Celery worker subprocess can see the test database.
        DATABASES["default"]["TEST"] = {"NAME": test_name}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"  # URL names: settings spell no path either
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on (OpenID Connect, plumbline/accounts/oidc/), off unless OIDC_ISSUER is set. The endpoints
# come from the issuer's discovery document, read at the first sign-in: a provider that is down never
# stops start-up. Users are keyed by email and get, at every sign-in, the highest role their groups map to.
OIDC_ISSUER = env_str("OIDC_ISSUER").strip().rstrip("/")
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
PLUMBLINE_OIDC_PROVIDER_NAME = env_str("PLUMBLINE_OIDC_PROVIDER_NAME", "single sign-on")
PLUMBLINE_OIDC_ROLE_CLAIM = env_str("PLUMBLINE_OIDC_ROLE_CLAIM", "groups")
PLUMBLINE_OIDC_ROLES = oidc_config.role_map(env_str("PLUMBLINE_OIDC_ROLES"))
PLUMBLINE_OIDC_DEFAULT_ROLE = (
    oidc_config.known_role(default_role, "PLUMBLINE_OIDC_DEFAULT_ROLE")
    if (default_role := env_str("PLUMBLINE_OIDC_DEFAULT_ROLE").strip())
    else None
)
# Off: the login page offers single sign-on only and refuses a posted password (API tokens still work).
PLUMBLINE_LOCAL_PASSWORDS = env_bool("PLUMBLINE_LOCAL_PASSWORDS", True)
if OIDC_ISSUER and not OIDC_RP_CLIENT_ID:
    raise ValueError("OIDC_CLIENT_ID must be set when OIDC_ISSUER is")
if not PLUMBLINE_LOCAL_PASSWORDS and not OIDC_ISSUER:
    raise ValueError("PLUMBLINE_LOCAL_PASSWORDS=false needs OIDC_ISSUER: nobody could sign in")
AUTHENTICATION_BACKENDS = ["plumbline.accounts.oidc.backend.OIDCBackend"]
if PLUMBLINE_LOCAL_PASSWORDS:
    AUTHENTICATION_BACKENDS.insert(0, "django.contrib.auth.backends.ModelBackend")
OIDC_AUTHENTICATION_CALLBACK_URL = "sso-callback"
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # the hint for the provider's logout
OIDC_TIMEOUT = 10  # seconds for each call to the provider
if OIDC_ISSUER and "form-action 'self'" in CONTENT_SECURITY_POLICY:
    # Logging out is a form post that ends at the provider's end_session_endpoint, under the issuer.
    _issuer = urlsplit(OIDC_ISSUER)
    CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {_issuer.scheme}://{_issuer.netloc}"
    )

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env_str("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
# Seconds; an SMTP relay that never answers must not hold an alert past its claim's lease.
EMAIL_TIMEOUT = int(env_str("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "plumbline@localhost")

# Rate-limit counters and rendered graphs are shared by every process: Redis in production,
# files under var/ when embedded.
if env_str("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("REDIS_URL")}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Celery: Redis when REDIS_URL is set, else kombu's filesystem transport under var/.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# One Redis can serve several Plumblines (or test sessions) when each has its own queue.
CELERY_TASK_DEFAULT_QUEUE = env_str("PLUMBLINE_CELERY_QUEUE", "celery")
CELERY_BROKER_FOLDER = VAR_DIR / "celery" / "queue"
CELERY_BEAT_SCHEDULE_FILE = VAR_DIR / "celery" / "beat-schedule"
# Catalog's periodic work; monitoring adds its own entries (monitoring/schedule.py).
CELERY_BEAT_SCHEDULE = {
    "refresh-findings-nightly": {
        "task": "catalog.tasks.refresh_findings",
        "schedule": crontab(hour=2, minute=0),
    },
    # Daily, after the nightly findings refresh; each owner still gets one digest per reminder period.
    "send-reminders-daily": {
        "task": "catalog.tasks.send_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
    # After the nightly findings refresh, so the day's snapshot counts fresh findings; prunes old ones.
    "snapshot-estate-daily": {
        "task": "catalog.snapshot_estate",
        "schedule": crontab(hour=2, minute=30),
    },
    # Monday morning: last week's "what changed" to each subscriber, once.
    "send-weekly-changes": {
        "task": "catalog.send_weekly_changes",
        "schedule": crontab(hour=7, minute=0, day_of_week=1),
    },
    # Hourly, so a workaround run due at 09:00 in any time zone is reminded of on its due day, soon after.
    "send-workaround-reminders-hourly": {
        "task": "catalog.tasks.send_workaround_reminders",
        "schedule": crontab(minute=5),
    },
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "catalog.api.schema.PlumblineAutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["catalog.api.permissions.ReadAnyRole"],
    # Token first: an anonymous request gets 401 with "WWW-Authenticate: Token".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "plumbline.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PAGINATION_CLASS": "catalog.api.pagination.Pagination",
    # Bodies are JSON only, and refused with 400 when a database could not store them.
    "DEFAULT_PARSER_CLASSES": ["catalog.api.parsers.StorableJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env_str("PLUMBLINE_API_RATE", "1200/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Plumbline API",
    "DESCRIPTION": "The system of record for an ERP integration estate.",
    "VERSION": "1",
    # Request bodies get their own components, without the read-only keys the API adds (url, ...).
    "COMPONENT_SPLIT_REQUEST": True,
    # The schema describes the API, not the endpoint serving it.
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {"HealthStateEnum": "catalog.choices.HealthState"},
}

PLUMBLINE_REVIEW_DAYS = int(env_str("PLUMBLINE_REVIEW_DAYS", "180"))
# Days after a signed-off go-live's date that its post-go-live review falls due (GOLIVE_REVIEW_DUE from that day).
PLUMBLINE_GOLIVE_REVIEW_DAYS = int(env_str("PLUMBLINE_GOLIVE_REVIEW_DAYS", "90"))
# How many days of daily estate snapshots are kept (the dashboard's trend lines, /api/v1/trend/): two years.
PLUMBLINE_TREND_DAYS = int(env_str("PLUMBLINE_TREND_DAYS", "730"))
PLUMBLINE_OUTBOUND_ALLOW = env_list("PLUMBLINE_OUTBOUND_ALLOW")
# Calls to a platform account keep to the vendor's documented rate (monitoring/platforms/throttle.py).
# The spec files are the source of truth: documents last written by an import are read-only in the browser and
# the API (catalog/spec/provenance.py).
PLUMBLINE_SPECS_FROM_GIT = env_bool("PLUMBLINE_SPECS_FROM_GIT")
PLUMBLINE_PLATFORM_THROTTLE = env_bool("PLUMBLINE_PLATFORM_THROTTLE", True)
# Platform credentials are read only from variables named with this prefix (catalog/spec/checks.py).
PLUMBLINE_CRED_PREFIX = env_str("PLUMBLINE_CRED_PREFIX") or "PLUMBLINE_CRED_"
# Absolute address of this Plumbline, for links in alerts and reminder emails.
PLUMBLINE_BASE_URL = env_str("PLUMBLINE_BASE_URL", "http://127.0.0.1:8000")
PLUMBLINE_REMINDER_DAYS = int(env_str("PLUMBLINE_REMINDER_DAYS", "7"))


# Cost (issue 15): an hourly rate turns hours (maintenance, workaround, build) into money on the
# dashboard, system pages and the phase-two register; unset, they are shown in hours.
def _hourly_rate(raw: str) -> float | None:
    """PLUMBLINE_HOURLY_RATE as a number of money units per hour; unset is None, nonsense stops start-up."""
    if not raw.strip():
        return None
    try:
        rate = float(raw)
    except ValueError:
        rate = math.nan
    if not 0 <= rate < math.inf:
        raise ValueError(f"PLUMBLINE_HOURLY_RATE must be a number, 0 or more (got {raw!r})")
    return rate


PLUMBLINE_HOURLY_RATE = _hourly_rate(env_str("PLUMBLINE_HOURLY_RATE"))
# The currency of cost.licence_per_month and of the hourly rate (an ISO 4217 code, shown beside amounts).
PLUMBLINE_CURRENCY = env_str("PLUMBLINE_CURRENCY", "USD")
PLUMBLINE_REVIEW_LINK_DAYS = int(env_str("PLUMBLINE_REVIEW_LINK_DAYS", "30"))
PLUMBLINE_PING_RATE_PER_MINUTE = int(env_str("PLUMBLINE_PING_RATE_PER_MINUTE", "60"))
PLUMBLINE_PING_KEY = env_str("PLUMBLINE_PING_KEY")
PLUMBLINE_PING_FAST_COMMIT = env_bool("PLUMBLINE_PING_FAST_COMMIT", True)
PLUMBLINE_POLL_MINUTES = int(env_str("PLUMBLINE_POLL_MINUTES", "5"))
PLUMBLINE_POLL_BATCH = int(env_str("PLUMBLINE_POLL_BATCH", "20"))
PLUMBLINE_ESCALATE_AFTER_MINUTES = int(env_str("PLUMBLINE_ESCALATE_AFTER_MINUTES", "60"))
PLUMBLINE_ALERT_MAX_ATTEMPTS = int(env_str("PLUMBLINE_ALERT_MAX_ATTEMPTS", "3"))
PLUMBLINE_HISTORY_DAYS = int(env_str("PLUMBLINE_HISTORY_DAYS", "400"))
PLUMBLINE_WEBHOOK_SECRET = env_str("PLUMBLINE_WEBHOOK_SECRET")
# Where PagerDuty events go (Events API v2, {base}/v2/enqueue); tests point it at a stand-in.
PLUMBLINE_PAGERDUTY_URL = env_str("PLUMBLINE_PAGERDUTY_URL", "https://events.pagerduty.com")
PLUMBLINE_GRAPH_TIMEOUT = float(env_str("PLUMBLINE_GRAPH_TIMEOUT", "30"))
# Up to this many integrations a /graph/ request draws itself; above, a Celery task draws (the page polls).
PLUMBLINE_GRAPH_INLINE_MAX = int(env_str("PLUMBLINE_GRAPH_INLINE_MAX", "200"))
# Seconds a graph that failed to draw (timeout, dot error) is shown as failed before it is tried again.
PLUMBLINE_GRAPH_FAILURE_SECONDS = float(env_str("PLUMBLINE_GRAPH_FAILURE_SECONDS", "300"))

# Metrics (/metrics, Prometheus text format): off unless a token or the scraper's addresses are set.
PLUMBLINE_METRICS_TOKEN = env_str("PLUMBLINE_METRICS_TOKEN")
PLUMBLINE_METRICS_ALLOW = env_list("PLUMBLINE_METRICS_ALLOW")
for _network in PLUMBLINE_METRICS_ALLOW:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ValueError(
            f"PLUMBLINE_METRICS_ALLOW: {_network!r} is not an address or network (e.g. 10.0.0.5, 10.0.0.0/24)"
        ) from None
# A Celery worker on another machine serves its own counters on this port (plumbline/metrics/worker.py).
PLUMBLINE_WORKER_METRICS_PORT = int(env_str("PLUMBLINE_WORKER_METRICS_PORT") or 0)
# Read by prometheus_client (every process's counts in one folder) and by plumbline/gunicorn_conf.py.
SETTINGS_ENV |= {"PROMETHEUS_MULTIPROC_DIR", "PLUMBLINE_BIND"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # httpx logs every request at INFO; health pulls would drown everything else.
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
