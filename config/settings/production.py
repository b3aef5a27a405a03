"""Production hardening only; every behaviour is switched by environment variables (README: Production)."""

from config.settings.base import *  # noqa: F403
from config.settings.base import SECRET_KEY, env

DEBUG = False
if SECRET_KEY.startswith("insecure-") or len(SECRET_KEY) < 50:
    raise RuntimeError("Set SECRET_KEY to a long random value in production.")
# No embedded default here: the host names must be given (raises ImproperlyConfigured when unset).
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
# TLS ends at the proxy, which says so in X-Forwarded-Proto (README: behind a proxy).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "same-origin"
LOGGING["root"]["level"] = env("LOG_LEVEL", default="WARNING")  # noqa: F405
