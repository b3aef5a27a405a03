"""Settings of the Celery worker that tests/harness/test_worker.py starts: the test settings, with tasks through Redis.

The test passes the test database's name and its file folder in the environment, so the worker reads
what the test committed and writes export files where the test reads them. The short visibility
timeout lets a restarted worker take back, within seconds, a message a killed worker had not
acknowledged (production keeps two hours, above the task time limit).
"""

import json
import os
from pathlib import Path

from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("HARNESS_VISIBILITY_TIMEOUT", "5")),
    # Look for expired unacknowledged messages every second instead of every 100 s.
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
# Test-only event handlers (a handler that blocks until the test opens a gate).
CELERY_IMPORTS = ["tests.harness.worker_handlers"]

DATABASES["default"]["NAME"] = os.environ["HARNESS_DATABASE_NAME"]  # noqa: F405
# The fault test tells the worker's and beat's sessions apart (it terminates the worker's) and shortens the
# stored work's timings to seconds (crm.core.work).
DATABASES["default"].setdefault("OPTIONS", {})["application_name"] = os.environ.get(  # noqa: F405
    "HARNESS_APPLICATION_NAME", "harness-worker"
)
WORK_TIMINGS = json.loads(os.environ.get("HARNESS_WORK_TIMINGS", "{}"))

_files = Path(os.environ["HARNESS_FILES"])
MEDIA_ROOT = _files / "media"
STORAGES = {
    **STORAGES,  # noqa: F405
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(MEDIA_ROOT)}},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(_files / "private"), "base_url": None},
    },
}

# Emails the worker sends (report links) go to files the test reads.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = str(_files / "mail")
