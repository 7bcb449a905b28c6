"""ggzy settings: one module, read from the environment.

With nothing set everything runs embedded (SQLite, in-memory channel layer, a filesystem
Celery broker, files under ``var/``). ``DATABASE_URL``, ``REDIS_URL`` and the ``AWS_*``
storage settings switch to PostgreSQL, Redis and S3-compatible storage. With ``DEBUG`` off
the site refuses to start on a default secret key or without the platform signing key.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ggzy.observability import logs as _structured_logs

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# Everything the platform writes is readable by its own user only: the embedded database and
# its -wal/-shm (sessions!), generated keys, uploads, the broker's messages, logs. This module
# is imported by every process before it writes anything (manage.py, daphne through
# config.asgi, the Celery worker and beat through config.celery, pytest), so the umask is set here;
# files that must be public (collected static files) say so explicitly (STORAGES below).
os.umask(0o077)
# Absolute, so that every path printed or handed to another process (demo keys, the broker's
# folders) means the same wherever it is read; a relative GGZY_VAR_DIR is from the working
# directory (scripts/run-demo makes it absolute before it changes directory).
VAR_DIR = Path(env.str("GGZY_VAR_DIR", default=str(BASE_DIR / "var"))).expanduser().resolve()
# The test suite in several processes (`pytest -n 2`, as `make test` runs it): each process,
# and every daphne or Celery worker one of its tests starts (they inherit the variable), has
# its own var directory and Redis database, so that no file, queue, channel group or cache
# key is shared between them. Outside pytest-xdist the variable is unset.
XDIST_WORKER = env.str("PYTEST_XDIST_WORKER", default="")
XDIST_INDEX = int(XDIST_WORKER.removeprefix("gw") or 0) if XDIST_WORKER else 0
if XDIST_WORKER:
    VAR_DIR = VAR_DIR / f"test-{XDIST_WORKER}"
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
# A var directory made before this rule (or by hand) is closed too; what is inside it is then
# out of reach of others whatever its own mode. Only our own directory: never chmod a shared
# one such as /tmp.
if VAR_DIR.stat().st_uid == os.geteuid() and VAR_DIR.stat().st_mode & 0o077:
    VAR_DIR.chmod(0o700)

_DEFAULT_SECRET_KEY = "ggzy-insecure-development-key-do-not-use-in-production"  # noqa: S105  # nosec B105 # refused with DEBUG off
SECRET_KEY = env.str("SECRET_KEY", default=_DEFAULT_SECRET_KEY)

# The platform's SM2 key signs receipts, ledger checkpoints and opening records. In DEBUG a
# key is generated under var/keys on first use; in production it must be provided.
PLATFORM_SIGNING_KEY_FILE = env.str(
    "PLATFORM_SIGNING_KEY_FILE", default=str(VAR_DIR / "keys" / "platform-signing.pem")
)
PLATFORM_SIGNING_KEY_PASSWORD = env.str("PLATFORM_SIGNING_KEY_PASSWORD", default="")


def _refuse_insecure_defaults() -> None:
    missing = []
    if SECRET_KEY == _DEFAULT_SECRET_KEY or len(SECRET_KEY) < 32:
        missing.append("SECRET_KEY (a random string of at least 32 characters)")
    if "PLATFORM_SIGNING_KEY_FILE" not in env.ENVIRON:
        missing.append("PLATFORM_SIGNING_KEY_FILE (path of the platform SM2 private key PEM)")
    elif not Path(PLATFORM_SIGNING_KEY_FILE).is_file():
        missing.append(f"PLATFORM_SIGNING_KEY_FILE: no file at {PLATFORM_SIGNING_KEY_FILE}")
    if missing:
        raise ImproperlyConfigured(
            "ggzy refuses to start with DEBUG off / 关闭调试模式时拒绝以默认配置启动. Missing: "
            + "; ".join(missing)
        )


# The read-only ledger commands run from any checkout, DEBUG off and no production secret
# (README: "Verifying the ledger"): they sign nothing, serve nothing and only read the
# database and the platform key the installation already has (verify_archive reads only the
# archive file it is given: docs/archive.md). Recognised from the command
# line of manage.py / django-admin itself, not from an environment variable, so that no
# setting left behind can open the same door for daphne or Celery: the server still refuses.
READ_ONLY_COMMANDS = frozenset({"verify_ledger", "export_ledger", "verify_archive"})


def _running_read_only_command(argv: list[str]) -> bool:
    launcher = Path(argv[0]).name if argv else ""
    return (
        launcher in {"manage.py", "django-admin"}
        and len(argv) > 1
        and argv[1] in READ_ONLY_COMMANDS
    )


if not DEBUG and not _running_read_only_command(sys.argv):
    _refuse_insecure_defaults()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Websocket handshakes (the opening hall) are accepted from the page's own origin (scheme,
# Host and port, Host in ALLOWED_HOSTS: the demo on any port needs nothing here) and from
# these origins, "scheme://host[:port]" compared exactly (ggzy/websocket_origin.py).
WEBSOCKET_ALLOWED_ORIGINS = env.list("WEBSOCKET_ALLOWED_ORIGINS", default=CSRF_TRUSTED_ORIGINS)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "pgtrigger",
    "config",
    "supervision",
    "accounts",
    "trading",
    "bidding",
    "deposits",
    "experts",
    "realtime",
    "award",
    "supervision.alerts",
    "supervision.complaints",
    "supervision.opendata",
    "supervision.archive",
]

MIDDLEWARE = [
    # Request counts and latencies for /metrics: first in and last out (django-prometheus).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session passed a second factor (accounts/second_factor.py).
    "django_otp.middleware.OTPMiddleware",
    # request_id and user_id on every log line of the request (ggzy/observability/context.py).
    "ggzy.observability.context.RequestLogContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "supervision.middleware.LedgerContextMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Axes last: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {{ moment|beijing }}, {{ amount|yuan }}, {{ amount|yuan_in_words }} and
            # {{ refusal|bilingual }} on every page
            "builtins": [
                "ggzy.templatetags.times",
                "ggzy.templatetags.money",
                "ggzy.templatetags.bilingual",
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'ggzy.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (daphne, worker, beat) share the file: WAL lets readers go on while
    # one writes; IMMEDIATE takes the write lock at BEGIN so two writers queue instead of
    # failing mid-transaction.
    # A file, not memory, for the test database: tests start real server processes on it.
    # One per test process, so that two test runs never share (and delete) one file.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-ggzy-{os.getpid()}.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif env.int("DATABASE_POOL_MAX", default=0):
    # Under daphne every concurrent request would open its own connection: 200 uploads at a
    # deadline overran PostgreSQL's max_connections (bench/load_uploads.py). A pool per
    # process bounds them; a request waits for a connection instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env.int("DATABASE_POOL_MAX"),
        "timeout": 120,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, Celery broker, cache ----------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and XDIST_WORKER:
    _redis = urlsplit(REDIS_URL)
    _database = (int(_redis.path.strip("/") or 0) + XDIST_INDEX) % 16  # Redis has 16
    REDIS_URL = urlunsplit(_redis._replace(path=f"/{_database}"))
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # A task whose worker died unacknowledged comes back after this long (Redis's default,
    # an hour, would leave a hall in decryption that long). It must exceed the longest task:
    # an 8 GiB bid decrypts in about 100 s (tests/cluster/test_worker_faults.py).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=600)
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "filesystem://localhost//"  # a hostname, or kombu warns on every send
    _broker_dir = VAR_DIR / "celery" / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Exchange bindings (broadcasts, pidbox): kombu's default is ./control, the working
        # directory — the demo used to write it into the checkout.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a task lost with its worker runs again: tasks are idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    "chronograph-sweep": {
        "task": "trading.tasks.chronograph_sweep",
        "schedule": env.int("CHRONOGRAPH_SWEEP_SECONDS", default=15),
    },
    "experts-sweep": {
        "task": "experts.tasks.sweep",
        "schedule": 60.0,
    },
    "deposits-sweep": {
        "task": "deposits.tasks.sweep",
        "schedule": env.int("DEPOSITS_SWEEP_SECONDS", default=60),
    },
    "deposits-pull-statement": {
        "task": "deposits.tasks.pull_statement",
        "schedule": env.int("BANK_PULL_SECONDS", default=300),
    },
    "deposits-check-books": {
        "task": "deposits.tasks.check_books",
        "schedule": env.int("CHECK_BOOKS_SECONDS", default=86400),
    },
    "complaints-clocks": {
        "task": "supervision.complaints.tasks.sweep_clocks",
        "schedule": env.int("COMPLAINTS_SWEEP_SECONDS", default=900),
    },
    "ledger-checkpoint": {
        "task": "supervision.tasks.ledger_checkpoint",
        "schedule": env.int("LEDGER_CHECKPOINT_SECONDS", default=300),
    },
    # A signed tree head at a fixed cadence, whatever happened: a head that appeared only
    # after activity would tell the world that something (a bid) happened (docs/ledger.md).
    "ledger-tree-head": {
        "task": "supervision.tasks.publish_tree_head",
        "schedule": env.int("LEDGER_TREE_HEAD_SECONDS", default=60),
    },
    "alerts-sweep": {
        "task": "supervision.alerts.tasks.sweep",
        "schedule": env.int("ALERTS_SWEEP_SECONDS", default=900),
    },
}

# The collusion rules' thresholds (supervision/alerts/thresholds.py, docs/alerts.md: each
# with its default and why). Strings so that decimals stay exact.
ALERT_THRESHOLDS = {
    "sweep_days": env.int("ALERT_SWEEP_DAYS", default=30),
    "last_seconds": env.int("ALERT_LAST_SECONDS", default=60),
    "price_pattern_tolerance": env.str("ALERT_PRICE_PATTERN_TOLERANCE", default="0.005"),
    "price_pattern_min_bids": env.int("ALERT_PRICE_PATTERN_MIN_BIDS", default=3),
    "near_ceiling_band": env.str("ALERT_NEAR_CEILING_BAND", default="0.01"),
    "near_ceiling_count": env.int("ALERT_NEAR_CEILING_COUNT", default=3),
    "cobid_min_sections": env.int("ALERT_COBID_MIN_SECTIONS", default=3),
    "cobid_min_share": env.str("ALERT_COBID_MIN_SHARE", default="0.8"),
    "cobid_lookback_days": env.int("ALERT_COBID_LOOKBACK_DAYS", default=365),
    "score_deviation": env.str("ALERT_SCORE_DEVIATION", default="0.20"),
    "identical_file_min_bytes": env.int("ALERT_IDENTICAL_FILE_MIN_BYTES", default=1024),
}

# --- After the evaluation: publicity, award, contract, archive (docs/award.md, archive.md) ---
# [R54] candidates are publicized for at least 3 days; only a demo (DEBUG) may shorten it,
# so that `make demo` can walk a section to its archive in minutes.
PUBLICITY_MINIMUM = dt.timedelta(days=3)
PUBLICITY_PERIOD = dt.timedelta(seconds=env.int("PUBLICITY_SECONDS", default=3 * 86400))
if PUBLICITY_PERIOD < PUBLICITY_MINIMUM and not DEBUG:
    raise ImproperlyConfigured(
        "PUBLICITY_SECONDS 不得少于 3 日（259200 秒）[R54] / PUBLICITY_SECONDS must be at least "
        "3 days (259200 seconds) [R54]: only a demo installation (DEBUG) may shorten it"
    )
# A closed section (contracted, failed, cancelled) is archived this long after it closed, so
# the deposits refunded within 5 days [R57] are in its ledger slice; staff may seal earlier.
ARCHIVE_AFTER = dt.timedelta(seconds=env.int("ARCHIVE_AFTER_SECONDS", default=7 * 86400))
# How long sealed archives are kept [E40]; none may be deleted before (docs/archive.md).
ARCHIVE_RETENTION_YEARS = env.int("ARCHIVE_RETENTION_YEARS", default=15)
# Open data: the publisher named in every OCDS package, and the ocid prefix registered
# with the Open Contracting Partnership (the default is a placeholder; docs/opendata.md).
OCDS_PUBLISHER_NAME = env.str("OCDS_PUBLISHER_NAME", default="ggzy 公共资源交易平台")
OCDS_PUBLISHER_URI = env.str("OCDS_PUBLISHER_URI", default="")
OCDS_OCID_PREFIX = env.str("OCDS_OCID_PREFIX", default="ocds-ggzy00")
OCDS_LICENSE = env.str("OCDS_LICENSE", default="https://creativecommons.org/licenses/by/4.0/")
# Validate every release against the vendored schema as it is written (the test suite turns
# it on: every release any test produces is checked; docs/opendata.md).
OCDS_VALIDATE_RELEASES = env.bool("OCDS_VALIDATE_RELEASES", default=False)

# --- Storage ---------------------------------------------------------------------------
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
_default_storage: dict[str, object] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
STORAGES = {
    "default": _default_storage,
    # Static files are public, and nginx (another user) serves them from a shared volume.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
# Uploaded files (tender documents, bid parts) are the platform's alone, whatever the umask.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Sealed-bid uploads (docs/upload-protocol.md). The declared lengths of one organisation's
# open uploads, across all sections, may not exceed this (default: two 8 GiB bids); and a
# part is accepted on the local file system only if this much disk stays free after it
# (not checked for S3: object storage does not run out the same way).
BIDDING_OPEN_BYTES_PER_ORGANISATION = env.int(
    "BIDDING_OPEN_BYTES_PER_ORGANISATION", default=2 * 8 * 1024**3
)
BIDDING_MIN_FREE_BYTES = env.int("BIDDING_MIN_FREE_BYTES", default=1024**3)

# --- Accounts, login, security ---------------------------------------------------------
AUTH_USER_MODEL = "accounts.Person"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "home"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Rate-limited login: after AXES_FAILURE_LIMIT failures for one username from one address
# the pair is locked out for the cool-off time.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A lockout is a 429 with Retry-After and a bilingual "try again in N minutes", as JSON for
# the API and as the page for browsers (axes' own response has neither).
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)
# The second factor (django-otp TOTP) that experts pass before any evaluation page
# (accounts/second_factor.py). The issuer names the platform in the authenticator app. Each
# wrong code doubles the wait before the device accepts another (1, 2, 4 … seconds), on top
# of the per-person rate "second_factor" below. Django admin never shows a device's key.
OTP_TOTP_ISSUER = "ggzy"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    # Production runs behind nginx (docker/nginx.conf), which terminates TLS and sets
    # X-Forwarded-Proto: https; `manage.py check --deploy` is clean with these (make deploy-check).
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # HSTS for a year, subdomains included: a tender platform is HTTPS-only, and its own
    # subdomains (documents, files) are too.
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Preloading binds the whole registrable domain (often a government one, shared with
    # other sites) into browsers for months: the operator of that domain decides it, not
    # this software. Off unless SECURE_HSTS_PRELOAD is set, so its check is silenced.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]


# Content-Security-Policy (django-csp): scripts and styles only from our own static files —
# no inline script, no inline event handler, no style attribute (tests/ggzy/test_csp.py
# checks every template and every route). JSON data for scripts rides in
# <script type="application/json"> blocks, which never execute. The hall's websocket is
# same-origin: 'self' covers ws/wss in CSP3 browsers, the explicit sources the older ones.
# The API docs page adds only what Swagger UI needs (ggzy.api.ApiDocsView).
def _websocket_sources(hosts: list[str]) -> list[str]:
    sources = []
    for host in hosts:
        if host == "*" or host.startswith("["):  # no wildcard-all; IPv6 literals: 'self'
            continue
        name = "*" + host if host.startswith(".") else host
        sources.append(f"wss://{name}:*")
        if DEBUG:  # the embedded demo runs on plain http
            sources.append(f"ws://{name}:*")
    return sources


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "connect-src": ["'self'", *_websocket_sources(ALLOWED_HOSTS)],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Separate buckets: anonymous reads (per address) and login attempts on the token
    # endpoint (per username + address, besides axes' lockout). See ggzy/throttling.py.
    "DEFAULT_THROTTLE_CLASSES": ["ggzy.throttling.AnonymousReadThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_ANON_RATE", default="120/minute"),
        "login": env.str("API_LOGIN_RATE", default="10/minute"),
        # Guesses at a guarantee's verification code (page and API share it).
        "verify": env.str("GUARANTEE_VERIFY_RATE", default="10/minute"),
        # Codes typed at the second factor (enrolment and verification), per person.
        "second_factor": env.str("SECOND_FACTOR_RATE", default="5/minute"),
    },
    # X-Forwarded-For is trusted only as far as our own proxies, as for axes and the ledger:
    # without this DRF takes the header whole and a client picks its own throttle identity.
    "NUM_PROXIES": env.int("PROXY_COUNT", default=0),
    "EXCEPTION_HANDLER": "ggzy.api.exception_handler",
    # ?format= is ours (the opening record: pdf, json, signature), not DRF's renderer switch.
    "URL_FORMAT_OVERRIDE": None,
}
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(days=env.int("API_TOKEN_DAYS", default=90)),
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ggzy API",
    "DESCRIPTION": "公共资源交易平台 API — used by the bidder tool ggzy-bid.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ggzy.api.document_error_responses",
    ],
}

# --- Internationalisation: Chinese first, English on request ----------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# A refusal (4xx) is one line "refused 403 GET /path user=… code=… addr=…" without a
# traceback (INFO; WARNING for CSRF and other django.security refusals); a 5xx keeps its
# traceback. The filter sits on the loggers that write them and, as a catch-all, on the handler.
_REFUSALS: dict[str, object] = {"filters": ["refusals"]}
# A logger's filters see only records logged on that very logger, not on its children.
_SECURITY_LOGGERS = [
    f"django.security.{name}"
    for name in (
        "csrf",
        "DisallowedHost",
        "DisallowedRedirect",
        "SuspiciousOperation",
        "SuspiciousFileOperation",
        "SuspiciousMultipartForm",
        "SuspiciousSession",
        "RequestDataTooBig",
        "TooManyFieldsSent",
        "TooManyFilesSent",
    )
]
# Every line is structured (structlog through the standard library: ggzy/observability/
# logs.py): one JSON object per line in production, a readable console line with DEBUG;
# LOG_FORMAT=json|console chooses explicitly. Secret-looking keys are masked in both.
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
if LOG_FORMAT not in {"json", "console"}:
    raise ImproperlyConfigured(
        f"LOG_FORMAT 只能是 json 或 console / LOG_FORMAT must be json or console, not {LOG_FORMAT!r}"
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals": {"()": "ggzy.log.RefusalFilter"}},
    "formatters": {"structured": {"()": f"ggzy.observability.logs.{LOG_FORMAT}_formatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["refusals"],
            "formatter": "structured",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Django's default configuration gives "django" a console handler of its own (DEBUG
        # only) besides ours on the root: every line printed twice in the demo. Ours only
        # (its mail_admins handler goes too: no ADMINS are configured; errors go to the log).
        "django": {"handlers": [], "propagate": True},
        "django.request": _REFUSALS,
        **{name: _REFUSALS for name in _SECURITY_LOGGERS},
    },
}
_structured_logs.configure_structlog()
_structured_logs.connect_task_context()
# The worker keeps the configuration above instead of replacing the root's handlers with
# its own plain-text ones: its lines are JSON like everyone else's.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Metrics and health (ggzy/observability, config/observability.py, docs/operations.md) ---
# /metrics answers requests from these networks (judged behind PROXY_COUNT trusted proxies,
# never by a forwarded address we cannot trust) or with "Authorization: Bearer METRICS_TOKEN".
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32 and not DEBUG:
    raise ImproperlyConfigured(
        "METRICS_TOKEN 至少 32 个字符 / METRICS_TOKEN must be at least 32 characters: "
        "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
    )
METRICS_CELERY_QUEUES = env.list("METRICS_CELERY_QUEUES", default=["celery"])
METRICS_REDIS_TIMEOUT_SECONDS = env.float("METRICS_REDIS_TIMEOUT_SECONDS", default=0.5)
# /healthz: each check (database, channel layer, storage) must answer within this.
HEALTH_TIMEOUT_SECONDS = env.float("HEALTH_TIMEOUT_SECONDS", default=2.0)
# Heartbeat files of the worker and beat (ggzy/observability/heartbeat.py), read by
# `manage.py health worker|beat`: stale after the given ages.
HEALTH_DIR = Path(env.str("HEALTH_DIR", default=str(VAR_DIR / "health")))
HEARTBEAT_SECONDS = env.float("HEARTBEAT_SECONDS", default=10.0)
HEALTH_WORKER_MAX_AGE_SECONDS = env.float("HEALTH_WORKER_MAX_AGE_SECONDS", default=60.0)
HEALTH_BEAT_MAX_AGE_SECONDS = env.float("HEALTH_BEAT_MAX_AGE_SECONDS", default=90.0)
CELERY_BEAT_SCHEDULER = "ggzy.observability.heartbeat:HeartbeatScheduler"
# Beat wakes at least this often even when nothing is due, so its heartbeat stays fresh.
CELERY_BEAT_MAX_LOOP_INTERVAL = 30
# `manage.py health web` asks this process's /healthz (the compose health check).
HEALTH_WEB_URL = env.str("HEALTH_WEB_URL", default="http://127.0.0.1:8000/healthz")
# Probes come over plain HTTP from the host or the monitoring network, not through nginx.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

# How long bidders have to confirm or object to the reading in the opening hall.
HALL_CONFIRMATION_MINUTES = env.int("HALL_CONFIRMATION_MINUTES", default=10)
# How long the opening key's holders have to deal and verify in the dealer-free key
# generation before the ceremony closes on whoever took part (docs/envelope.md).
OPENING_KEY_CEREMONY_HOURS = env.int("OPENING_KEY_CEREMONY_HOURS", default=72)

GGZY_SITE_NAME = _("ggzy public resource trading platform")

# --- Deposits (docs/bank-interface.md, docs/deposits.md) ---------------------------------
# The bank holding the platform's collection account. The demo and the tests run the bank
# simulator (simulators/bank) here; production points at the bank's gateway.
BANK_URL = env.str("BANK_URL", default="http://127.0.0.1:8099")
# Shared secret of the HMAC-SM3 signatures on callbacks and requests (both ways).
BANK_SECRET = env.str("BANK_SECRET", default="demo-bank-secret-not-for-production")
BANK_TIMEOUT_SECONDS = env.float("BANK_TIMEOUT_SECONDS", default=10.0)
BANK_COLLECTION_ACCOUNT = env.str("BANK_COLLECTION_ACCOUNT", default="310066661000000001")
BANK_COLLECTION_NAME = env.str("BANK_COLLECTION_NAME", default="ggzy 保证金专户")
BANK_NAME = env.str("BANK_NAME", default="ggzy 模拟银行 / simulated bank")
# Virtual sub-account numbers start with these digits (the bank's assignment).
DEPOSIT_SUBACCOUNT_PREFIX = env.str("DEPOSIT_SUBACCOUNT_PREFIX", default="8866")
# A callback older (or newer) than this is refused; its nonce is remembered this long.
BANK_CALLBACK_WINDOW_SECONDS = env.int("BANK_CALLBACK_WINDOW_SECONDS", default=300)
# Refunds are due within this many days [R35, R57]; alert this many days before.
REFUND_DAYS = 5
REFUND_WARN_DAYS = env.int("REFUND_WARN_DAYS", default=1)

# --- Experts (docs/experts.md) -------------------------------------------------------------
# Credit codes of the supervising departments: their staff never sit on a committee [P12].
EXPERT_SUPERVISING_DEPARTMENTS = env.list("EXPERT_SUPERVISING_DEPARTMENTS", default=[])
# An expert who sat on a committee for a tenderee is not drawn for it again this many days.
EXPERT_COOL_DOWN_DAYS = env.int("EXPERT_COOL_DOWN_DAYS", default=30)
# How experts are told they were drawn (experts/notify.py), and how long they have to answer
# before the next backup is called.
EXPERT_GATEWAY = env.str("EXPERT_GATEWAY", default="experts.notify.ConsoleGateway")
EXPERT_ANSWER_MINUTES = env.int("EXPERT_ANSWER_MINUTES", default=30)
# Evaluation: when more than a third of the members say the time is insufficient, it is
# extended by this much [R48]; members sign the concluded report within the signing time,
# after which a member who neither signed nor wrote reasons is deemed to agree [R53].
EXPERT_EXTENSION_MINUTES = env.int("EXPERT_EXTENSION_MINUTES", default=240)
EXPERT_SIGNING_MINUTES = env.int("EXPERT_SIGNING_MINUTES", default=120)
