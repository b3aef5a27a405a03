"""Settings of bench/ws_quotes.py and of the daphne server it starts: the test settings with REDIS_URL set (the script
sets it), so the channel layer is production's (channels_redis pub/sub, config/settings/base.py), under a prefix of
the run's own: Redis pub/sub channels are shared by every database number of a server, and another process publishing
`crm-live` quotes on the same Redis would otherwise reach the bench's sockets."""

import os

from config.settings.test import *  # noqa: F403

CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = os.environ["BENCH_LIVE_PREFIX"]  # noqa: F405
