"""Local development: the embedded default with DEBUG on (what `make run` serves)."""

from config.settings.base import *  # noqa: F403
from config.settings.base import INSTALLED_APPS, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Static files straight from the apps' and project's static folders, no collectstatic needed:
# WhiteNoise looks them up through the finders and re-reads changed files.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
INSTALLED_APPS = ["whitenoise.runserver_nostatic", *INSTALLED_APPS]
