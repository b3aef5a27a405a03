"""Settings of the daphne server that tests/trading/test_live_server.py starts: the test settings on the test
database, with the channel layer on the Redis the test process publishes to."""

import os

from config.settings.test import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["LIVE_DATABASE_NAME"]  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
