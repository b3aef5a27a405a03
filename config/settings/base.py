"""
Settings shared by every environment, read from the environment with django-environ.

With no environment at all this is the embedded default: SQLite file database, tasks
run in-process, console email, files on local disk. See README.md for production.
"""

from pathlib import Path

import django_stubs_ext
import environ
from django.utils.translation import gettext_lazy as _

# Django's generic classes subscriptable at run time (ModelAdmin[Model], ModelForm[Model]), as mypy reads them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

# GENERAL
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
SECRET_KEY = env("SECRET_KEY", default="insecure-embedded-default-change-me")
# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
# https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-trusted-origins
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
TIME_ZONE = "UTC"
# The languages of staff screens, API messages and client emails (README: Languages). A staff member's and a
# client's own language choose among them (crm.core.i18n); Accept-Language for everyone else.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
SITE_NAME = env("SITE_NAME", default="Broker Back Office")
# Base URL used in links built outside a request (emails, task results).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# The root asset (RAT) of the trading platform's history server: the currency its `...InRAT` figures are in.
ROOT_ASSET = env("ROOT_ASSET", default="USD")

# DATABASES
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
# PostgreSQL through psycopg 3: DATABASE_URL=postgres://user:pass@host:5432/name
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves requests and runs the beat schedule in one process (`manage.py serve`):
    # writers take the lock when they begin and wait for each other (up to `timeout` s) instead of failing with
    # "database is locked"; write-ahead logging lets readers go on meanwhile.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# URLS
# ------------------------------------------------------------------------------
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# APPS
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "daphne",  # first: its runserver serves ASGI (HTTP and the WebSockets of crm.trading.live)
    "unfold",  # before django.contrib.admin
    "unfold.contrib.filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_countries",
    "phonenumber_field",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "axes",
    "channels",
]
LOCAL_APPS = [
    "crm.core",
    "crm.users",
    "crm.customers",
    "crm.sales",
    "crm.wallets",
    "crm.payments",
    "crm.affiliates",
    "crm.trading",
    "crm.communications",
    "crm.reports",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

# AUTHENTICATION
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#auth-user-model
AUTH_USER_MODEL = "users.User"
# django-axes first: it refuses locked-out credentials before any backend checks them.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend reading the session's user and their permissions in fewer, prebuilt queries.
    "crm.users.backends.UserBackend",
]
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# MIDDLEWARE
# ------------------------------------------------------------------------------
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the API's early refusals, so that they answer in the caller's language (it reads no session).
    "django.middleware.locale.LocaleMiddleware",
    "crm.core.middleware.RefuseNulInQueryMiddleware",
    "crm.core.middleware.ApiBodyErrorMiddleware",
    "crm.core.middleware.ApiNotFoundMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "crm.core.middleware.StaffLanguageMiddleware",
    "crm.users.middleware.StaffTimeZoneMiddleware",
    "crm.core.middleware.RequestContextMiddleware",
    "crm.customers.middleware.ClientActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

# STATIC AND MEDIA
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))

# STORAGES
# ------------------------------------------------------------------------------
# Local disk by default; S3-compatible storage when AWS_STORAGE_BUCKET_NAME is set.
# "private" holds KYC documents and exports: never served from a public URL, only
# through short-lived signed links (crm.core.files.signed_file_url).
# https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default=None)
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
    AWS_ACCESS_KEY_ID = env("AWS_ACCESS_KEY_ID", default=None)
    AWS_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY", default=None)
    s3_options = {"bucket_name": AWS_STORAGE_BUCKET_NAME, "file_overwrite": False}
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**s3_options, "location": "public", "querystring_auth": False},
        },
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **s3_options,
                "location": "private",
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": env.int("PRIVATE_LINK_MAX_AGE", default=300),
            },
        },
    }
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(MEDIA_ROOT / "private"), "base_url": None},
        },
    }
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
# Signed download links for private files expire after this many seconds.
PRIVATE_LINK_MAX_AGE = env.int("PRIVATE_LINK_MAX_AGE", default=300)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# TEMPLATES
# ------------------------------------------------------------------------------
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
    }
]

# SECURITY
# ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, each request's session read with a prebuilt query (crm/users/sessions.py).
SESSION_ENGINE = "crm.users.sessions"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# The caller's address (throttles, lock-outs, login records, activity, IP allow-lists) is REMOTE_ADDR unless
# the deployment sits behind exactly this many proxies that append to X-Forwarded-For (README: behind a proxy).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Secrets in the settings store are encrypted with these Fernet keys (first one
# encrypts, all decrypt: rotate by prepending a new key). Derived from SECRET_KEY when unset.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# EMAIL
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/email/ ; EMAIL_URL=smtp+tls://user:pass@host:587
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Back Office <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# CACHES
# ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # Redis is a cache, never the source of truth: unreachable, it answers a miss (crm.core.cache).
    CACHES = {
        "default": {
            "BACKEND": "crm.core.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# CHANNELS (live updates over WebSockets, crm.trading.live)
# ------------------------------------------------------------------------------
# On Redis the feed, the workers and every ASGI process share the layer; without Redis (the embedded default)
# it is the serving process's own memory, which is enough when one process serves and runs the tasks.
if REDIS_URL:
    # Redis pub/sub: a group message is published once and each ASGI process hands it to its own sockets, so a
    # quote costs one Redis round trip whatever the number of subscribers (live pushes are best effort anyway).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 1}],
                "prefix": "crm-live",
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# django-axes: brute-force protection of the admin log-in
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "crm.core.middleware.client_ip"

# django-otp
OTP_TOTP_ISSUER = SITE_NAME

# CLIENT PORTAL
# ------------------------------------------------------------------------------
# Base URL of the client portal front end: links in confirmation and password-reset messages.
PORTAL_URL = env("PORTAL_URL", default=SITE_URL)
# Portal log-in lock-out: this many failed attempts for one email within the window lock it for the window.
PORTAL_LOGIN_FAILURE_LIMIT = env.int("PORTAL_LOGIN_FAILURE_LIMIT", default=5)
PORTAL_LOGIN_LOCKOUT_MINUTES = env.int("PORTAL_LOGIN_LOCKOUT_MINUTES", default=30)
# Lifetimes of one-time tokens (minutes): email confirmation, phone code, password reset; impersonation.
EMAIL_CONFIRMATION_TOKEN_MINUTES = env.int("EMAIL_CONFIRMATION_TOKEN_MINUTES", default=60 * 48)
PHONE_CODE_MINUTES = env.int("PHONE_CODE_MINUTES", default=10)
PASSWORD_RESET_TOKEN_MINUTES = env.int("PASSWORD_RESET_TOKEN_MINUTES", default=60)
IMPERSONATION_MINUTES = env.int("IMPERSONATION_MINUTES", default=15)
# Text messages (phone codes): through the SMS provider staff activate in the admin (Communications -> SMS
# providers: Twilio), recorded on the client's timeline; with none active they are written to the log
# (crm.core.sms.LogSmsBackend, which SMS_BACKEND may also name directly).
SMS_BACKEND = env("SMS_BACKEND", default="crm.communications.services.sms.ConfiguredSmsBackend")

# TRADING
# ------------------------------------------------------------------------------
# Days of candles kept per interval (crm.trading.tasks.prune_candles_task, daily); an interval not named here,
# or with 0, is kept for ever. E.g. CANDLE_RETENTION_DAYS=M1=7,M5=30 (the others as below).
CANDLE_RETENTION_DAYS = {
    "M1": 7,
    "M5": 30,
    "M15": 90,
    "M30": 180,
    "H1": 365,
    "H4": 730,
    "D1": 0,
    **env.dict("CANDLE_RETENTION_DAYS", cast={"value": int}, default={}),
}

from config.settings.celery import *  # noqa: E402, F403
from config.settings.drf import *  # noqa: E402, F403
from config.settings.unfold import *  # noqa: E402, F403
