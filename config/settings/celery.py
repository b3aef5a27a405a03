"""Celery: Redis broker when REDIS_URL is set, otherwise tasks run in-process (eager)."""

import environ

env = environ.Env()
_redis_url = env("REDIS_URL", default="")

# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = _redis_url or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not _redis_url
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No task runs longer than 15 minutes (long lead imports go on in a new run every 12 minutes); tasks of
# stored work set shorter limits (crm.core.work.retrying).
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Sending a task when the broker is down fails fast (about 2 s): the caller has committed its row, and the
# sweep of its kind sends it again (crm.core.work).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A task acknowledged late must not be redelivered while it still runs: the visibility timeout stays above
# the longest hard time limit (15 min), and no more: a killed worker's messages come back after 20 minutes,
# while the sweeps have already sent them again within a few minutes.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 20 * 60,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
