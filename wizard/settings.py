"""Settings, all from the environment, with defaults that make one machine work unconfigured.

`.env.example` lists every variable.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from celery.schedules import crontab
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "on"):
        return True
    if value.lower() in ("0", "false", "off"):
        return False
    raise ValueError(f"{name} must be true or false (1/0, on/off), not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def envchoice(name: str, default: str, choices: list[str]) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def envclock(name: str, default: str) -> tuple[int, int]:
    """A time of day, "HH:MM", as (hour, minute)."""
    value = os.environ.get(name) or default
    hour, colon, minute = value.strip().partition(":")
    if colon and hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60:
        return int(hour), int(minute)
    raise ValueError(f"{name} must be a time of day like 02:30, not {value!r}")


def envsecret(name: str, filename: str, generate) -> str:
    """The variable's value, or one generated once and kept in var/ for this machine."""
    value = os.environ.get(name)
    if value:
        return value
    path = VAR_DIR / filename
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(generate())
    return path.read_text().strip()


def database_from_url(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        name = unquote(parts.path[1:] if parts.path.startswith("//") else parts.path)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            # A write transaction takes its lock when it begins: a worker and the web app
            # writing at once then wait for each other instead of failing with "database is
            # locked" (a deferred transaction that reads first cannot wait for the lock).
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            # A file, not memory, so that a Celery worker thread in the tests sees the same data;
            # one per test run, so that runs side by side don't share it.
            "TEST": {"NAME": f"{name}.test-{os.getpid()}"},
        }
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "TEST": {"NAME": f"test_{unquote(parts.path.lstrip('/'))}_{os.getpid()}"},
        }
    raise ValueError(f"DATABASE_URL must start with sqlite:// or postgres://, not {parts.scheme}://")


DEBUG = envbool("DEBUG", False)
SECRET_KEY = envsecret("SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(64))

# Where people reach the wizard; its scheme decides whether cookies need HTTPS, and
# sign-off links are built from it.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
_site = urlsplit(SITE_URL)
HTTPS = _site.scheme == "https"
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [_site.hostname or "127.0.0.1", "localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = [SITE_URL]

SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and envbool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and envbool("SECURE_HSTS_PRELOAD", True)
if envbool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 12 * 3600)
X_FRAME_OPTIONS = "DENY"

# Fernet keys for the passwords of mail and directory accounts, newest first (MultiFernet):
# put a new key in front to rotate, keep the old ones until `rotatesecrets` has run.
SECRETS_ENCRYPTION_KEYS = envsecret(
    "SECRETS_ENCRYPTION_KEYS", "secrets_keys", lambda: Fernet.generate_key().decode()
).split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "wizard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "wizard.languages.AccountLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "wizard.urls"
WSGI_APPLICATION = "wizard.wsgi.application"

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
                "wizard.roles.role_context",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'migrator.sqlite3'}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "login"

# Failed logins: an account is locked after this many failures within the window, an
# address after LOGIN_FAILURES_PER_ADDRESS.
LOGIN_FAILURES_PER_ACCOUNT = envint("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_ADDRESS = envint("LOGIN_FAILURES_PER_ADDRESS", 20)
LOGIN_FAILURE_WINDOW = envint("LOGIN_FAILURE_WINDOW", 15 * 60)

SIGNOFF_LINK_DAYS = envint("SIGNOFF_LINK_DAYS", 30)

# The interface in English and German: each account's own choice, else the browser's
# preference; DEFAULT_LANGUAGE when neither says (and for sign-off links of users without a
# preferredLanguage in the directory, the admins' e-mails and the commands' output).
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LANGUAGE_CODE = envchoice("DEFAULT_LANGUAGE", "en", [code for code, _ in LANGUAGES])
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates, numbers and sizes as the language writes them (3,5 GB; 25.11.2026 14:05; 1.234 with
# intcomma); the formats in wizard/formats/ keep English dates ISO-like. No thousand separator
# everywhere: ids and numbers in links and form values must stay plain digits.
FORMAT_MODULE_PATH = ["wizard.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The dashboard's tasks (issue 6): throughput samples for its chart, the admins' daily summary.
CELERY_IMPORTS = ["wizard.notifications", "wizard.throughput"]
CELERY_TIMEZONE = TIME_ZONE
# Migration during operation (issue 7): the nightly delta copy of every user in sync, at this
# local time; and the lock per mailbox that keeps two workers off one mailbox (in Redis: the
# broker's unless LOCK_REDIS_URL says otherwise), renewed while its copy runs. A crashed
# worker's mailbox is taken up again once its lock has expired.
DELTA_SYNC_HOUR, DELTA_SYNC_MINUTE = envclock("DELTA_SYNC_TIME", "02:00")
LOCK_REDIS_URL = os.environ.get("LOCK_REDIS_URL", "")
MAILBOX_LOCK_SECONDS = envint("MAILBOX_LOCK_SECONDS", 120)
CELERY_BEAT_SCHEDULE = {
    "throughput-samples": {
        "task": "wizard.throughput.record_throughput_samples",
        "schedule": 60.0,
    },
    "daily-summary": {
        "task": "wizard.notifications.send_daily_summaries",
        "schedule": crontab(hour=7, minute=0),
    },
    "delta-syncs": {
        "task": "wizard.tasks.queue_scheduled_deltas",
        "schedule": crontab(hour=DELTA_SYNC_HOUR, minute=DELTA_SYNC_MINUTE),
    },
    "orphaned-copies": {
        "task": "wizard.tasks.requeue_orphaned_copies",
        "schedule": 60.0,
    },
}

EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
# Seconds a silent mail server may take before a notification gives up and frees its worker.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "migrator@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
