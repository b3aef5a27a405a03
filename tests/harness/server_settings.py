"""Settings of the gunicorn server that tests/harness/server.py starts: the test settings on the test database,
with no Redis (the embedded default the README allows: the cache is each worker process's own memory)."""

import os

from config.settings.test import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["HARNESS_DATABASE_NAME"]  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = "memory://"
