"""Settings, from environment variables only: nothing needs editing to run.

Defaults serve a fresh machine: a SQLite file in WAL mode and the embedded Redis on a
unix socket under ``var/``. Production sets ``DATABASE_URL``, ``REDIS_URL``,
``SMARTTRADING_SECRET_KEY`` and ``SMARTTRADING_DEBUG=0``.
"""

import os
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
import plotly

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


VAR_DIR = Path(os.environ.get("SMARTTRADING_VAR_DIR", BASE_DIR / "var")).resolve()
if "pytest" in sys.modules and (test_worker := os.environ.get("PYTEST_XDIST_WORKER")):
    # Each pytest-xdist worker keeps a var/ of its own (test database, embedded Redis, checkpoints),
    # and so do the product processes its tests start, through the environment they inherit.
    VAR_DIR = VAR_DIR / test_worker
    os.environ["SMARTTRADING_VAR_DIR"] = str(VAR_DIR)

# SMARTTRADING_DEBUG=0 is production: behind TLS, with a secret key of its own.
PRODUCTION = not env_bool("SMARTTRADING_DEBUG", True)
# Django's debug pages (a traceback with settings on a 500, the URL list on a 404) only when a
# developer asks for them: in the demo every user who met an error was shown them.
DEBUG = not PRODUCTION and env_bool("SMARTTRADING_TRACEBACKS", False)
DEMO_MODE = env_bool("SMARTTRADING_DEMO", not PRODUCTION)
DEMO_SECRET_KEY = "insecure-demo-key-only-for-local-runs"
SECRET_KEY = os.environ.get("SMARTTRADING_SECRET_KEY") or (None if PRODUCTION else DEMO_SECRET_KEY)
if not SECRET_KEY:
    raise RuntimeError("SMARTTRADING_SECRET_KEY must be set when SMARTTRADING_DEBUG=0")
if PRODUCTION:  # behind TLS: `manage.py check --deploy` passes with no warning
    SECURE_SSL_REDIRECT = env_bool("SMARTTRADING_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # the TLS proxy says so
    SECURE_HSTS_SECONDS = int(os.environ.get("SMARTTRADING_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
ALLOWED_HOSTS = os.environ.get("SMARTTRADING_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
CSRF_TRUSTED_ORIGINS = [
    origin for origin in os.environ.get("SMARTTRADING_CSRF_TRUSTED_ORIGINS", "").split(",") if origin
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "orders",
    "routing",
    "tca",
    "gateway",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "smarttrading.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers a locked-out login
]

# Login throttling (django-axes): five failed logins for one username, from whatever
# addresses, lock that username out for fifteen minutes, and five from one address, whatever
# the usernames (password spraying), lock that address; a good login resets the count. The
# address is the connection's own (REMOTE_ADDR): uvicorn rewrites it from X-Forwarded-For only
# for SMARTTRADING_TRUSTED_PROXIES, so a client cannot claim a fresh address per attempt.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("SMARTTRADING_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

ROOT_URLCONF = "smarttrading.urls"
ASGI_APPLICATION = "smarttrading.asgi.application"

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
                "orders.context_processors.roles",
                "routing.context_processors.kill_switch",
                "routing.context_processors.exchange_clock",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.config(default=f"sqlite:///{VAR_DIR / 'smarttrading.sqlite3'}", conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue on the busy timeout instead of deadlocking on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A pool per process: a request or a task borrows a connection and gives it back, so
    # the web server's many threads and the workers stay under PostgreSQL's max_connections.
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": 1,
            "max_size": int(os.environ.get("SMARTTRADING_DB_POOL_SIZE", "8")),
            "timeout": 30,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # plotly.js from the plotly wheel itself: pages never reach for a CDN.
    ("plotly", Path(plotly.__file__).parent / "package_data"),
]
# Outside production WhiteNoise serves the static files where they are, as they change (it
# followed DEBUG, which now stays off unless a developer asks for tracebacks).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Redis: broker, channel layer, stream sequence numbers -------------------------
REDIS_URL = os.environ.get("REDIS_URL") or f"unix://{VAR_DIR / 'redis.sock'}"
REDIS_IS_EMBEDDED = "REDIS_URL" not in os.environ


def celery_broker_url(redis_url: str) -> str:
    """Kombu spells a unix-socket Redis ``redis+socket://``."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url


CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # socket_timeout=None: a consumer waits in a blocking BZPOPMIN; redis-py 8's default
        # 5 s read timeout would tear every idle socket down (channels_redis issue #422).
        "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}], "capacity": 1000, "expiry": 30},
    }
}

# How often an open websocket rejoins its group (see StreamConsumer._keep_subscribed).
STREAM_RESUBSCRIBE_S = float(os.environ.get("SMARTTRADING_STREAM_RESUBSCRIBE_S", "10"))

CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged step (worker killed) is redelivered after this many seconds.
    "visibility_timeout": int(os.environ.get("SMARTTRADING_VISIBILITY_TIMEOUT", "60")),
    # How often workers look for such messages (kombu's default sweep is every 100 s).
    "unacked_restore_interval": int(os.environ.get("SMARTTRADING_UNACKED_RESTORE_INTERVAL", "5")),
    "unacked_restore_throttle": 1,
}
# Long TCA work (desk reports, replays) has its own worker, so market steps never wait behind it.
CELERY_TASK_ROUTES = {"tca.tasks.*": {"queue": "reports"}}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
AGGREGATION_WINDOW_SECONDS = float(os.environ.get("SMARTTRADING_AGGREGATION_WINDOW", "5"))
CELERY_BEAT_SCHEDULE = {
    "aggregation-window": {
        "task": "routing.tasks.aggregation_window_run",
        "schedule": AGGREGATION_WINDOW_SECONDS,
    },
    "sessions-watchdog": {"task": "routing.tasks.sessions_watchdog", "schedule": 15.0},
    # every instrument's idle market stepped to the exchange clock; a late tick is dropped, not queued
    "sessions-keep-time": {"task": "routing.tasks.sessions_keep_time", "schedule": 1.0, "options": {"expires": 2}},
    "uploads-watchdog": {"task": "orders.tasks.uploads_watchdog", "schedule": 30.0},
    "tca-jobs-watchdog": {"task": "tca.tasks.tca_jobs_watchdog", "schedule": 30.0},
    # finished parents' desk contributions kept, so the TCA index adds up stored figures
    "tca-contributions": {"task": "tca.tasks.parent_contributions_keep", "schedule": 15.0, "options": {"expires": 30}},
}
# An upload or a TCA job silent this long lost its worker or its queue (a Redis restart):
# the watchdogs hand it to a worker again; one begun three times and never finished ends FAILED.
BACKGROUND_JOB_STALLED_S = int(os.environ.get("SMARTTRADING_JOB_STALLED_S", "120"))

# --- Intake ---------------------------------------------------------------------------
# What intake reads of execution (the kill switch, arrival mids). Named here because the
# execution app builds on the orders app: orders imports nothing from it.
INTAKE_MARKET = "routing.selectors.intake_market"
INTAKE_VENUES = "routing.selectors.intake_venues"  # the venue codes an order may exclude
# The FIX gateway (``manage.py fix_gateway``, the Procfile's ``fix``): its loopback port, and
# QuickFIX's acceptance-test sessions (ISLD/TW44, ISLD/TW42, echo application) when set.
FIX_PORT = int(os.environ.get("SMARTTRADING_FIX_PORT", "9878"))
FIX_ACCEPTANCE = os.environ.get("SMARTTRADING_FIX_ACCEPTANCE") == "1"
# Pre-trade risk limits for accounts without their own (orders.models.RiskLimits); None is off.
# The collar rejects a limit further than this from the instrument's reference price.
PRICE_COLLAR_PCT = Decimal(os.environ.get("SMARTTRADING_PRICE_COLLAR_PCT", "20"))
RISK_DEFAULTS = {
    "max_order_quantity": 1_000_000,
    "max_order_notional": Decimal("50000000"),
    "collar_pct": PRICE_COLLAR_PCT,
    "daily_gross_notional": Decimal("5000000000"),
    "max_orders_per_minute": 60_000,  # a desk uploads tens of thousands of small orders at once
}
MAX_UPLOAD_ROWS = 100_000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_BULK_ORDERS = 10_000
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024  # bulk API bodies and upload files
FILE_UPLOAD_HANDLERS = [
    "smarttrading.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Simulation ---------------------------------------------------------------------
# A step that raises is retried this many times in all; then its session is FAULTED.
SESSION_STEP_MAX_ATTEMPTS = int(os.environ.get("SMARTTRADING_STEP_MAX_ATTEMPTS", "3"))
# Simulated seconds per wall-clock second; 0 runs steps back to back (tests, benchmarks).
SIM_SPEED = float(os.environ.get("SMARTTRADING_SIM_SPEED", "60"))
# Simulated seconds per step: 5, or half a wall second's worth when the clock runs faster. A
# step's cost is mostly its database writes, whatever its length, and its parents decide every
# simulated second inside it, so a fast demo clock takes longer steps rather than more: at
# speed 60, 5-second steps (12 a second per working instrument) left five instruments falling
# behind the clock; 30-second steps keep them on it, and the desk still sees two updates a second.
SIM_STEP_SECONDS = int(os.environ.get("SMARTTRADING_SIM_STEP_SECONDS", max(5, round(SIM_SPEED / 2))))
SIM_SEED = int(os.environ.get("SMARTTRADING_SIM_SEED", "20261122"))
# Fault injection for crash tests: each step holds its transaction open this long before
# committing, after writing its number to VAR_DIR/step-in-flight. Never set in production.
FAULT_STEP_DELAY_S = float(os.environ.get("SMARTTRADING_FAULT_STEP_DELAY_S", "0"))
# Fault injection for fault tests: every step of this instrument's session raises. Never set in production.
FAULT_STEP_RAISE = os.environ.get("SMARTTRADING_FAULT_STEP_RAISE", "")
# Simulated days averaged into the intraday volume profile VWAP follows (computed once, cached).
SIM_PROFILE_DAYS = int(os.environ.get("SMARTTRADING_SIM_PROFILE_DAYS", "3"))
# Each venue's chance of an incident (down, slow or rejecting for 2-20 minutes) on a trading
# day, drawn from the day's seed so every instrument meets it at the same time; 0: none.
VENUE_INCIDENT_CHANCE = float(os.environ.get("SMARTTRADING_VENUE_INCIDENT_CHANCE", "0.3"))
# An instrument's day's chance of news that moves it 6-12%: a volatility halt and its reopening
NEWS_JUMP_CHANCE = float(os.environ.get("SMARTTRADING_NEWS_JUMP_CHANCE", "0.05"))
# The algorithm comparison replays every alternative on the recorded path and on this many
# further seeded paths (antithetic pairs: an even number, at least 2), in this many processes.
COMPARISON_PATHS = int(os.environ.get("SMARTTRADING_COMPARISON_PATHS", "20"))
COMPARISON_WORKERS = int(os.environ.get("SMARTTRADING_COMPARISON_WORKERS", str(os.cpu_count() or 1)))

DEMO_PASSWORD = os.environ.get("SMARTTRADING_DEMO_PASSWORD", "smarttrading-demo")

# --- REST -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # first, so an API client without credentials is told 401 with WWW-Authenticate: Token
        "orders.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "smarttrading.parsers.ExactJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "smarttrading.api_errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Smart Trading API",
    "DESCRIPTION": "Order intake, parent orders, execution control and TCA.",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "smarttrading.openapi.add_error_responses",
    ],
}

LOG_LEVEL = os.environ.get("SMARTTRADING_LOG_LEVEL", "INFO")
DETAIL_LOG_LEVEL = "DEBUG" if LOG_LEVEL == "DEBUG" else "WARNING"  # Celery's per-task lines, beat's sends
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # What a person needs at INFO: the start-up banners, each parent's start and end, venue
    # status changes, faults. Celery's own per-task lines (received, succeeded: several a second
    # per instrument) and beat's "sending due task" are DEBUG detail; so is an ordinary 403/404.
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},  # a 403 or 404 is an answer, not a stack trace
        "axes": {"level": "WARNING"},  # lockouts are warnings; every login's bookkeeping is not news
        "celery.app.trace": {"level": DETAIL_LOG_LEVEL},
        "celery.worker.strategy": {"level": DETAIL_LOG_LEVEL},
        "celery.beat": {"level": DETAIL_LOG_LEVEL},
    },
}
