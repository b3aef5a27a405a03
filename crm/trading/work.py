"""Trading's stored work (crm.core.work): markets files, swept by their own beat entry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from crm.core.work import Kind


def _imports_out_of_attempts(pks: list[Any]) -> None:
    from crm.trading.services.market_files import give_up_market_imports

    give_up_market_imports(pks)


MARKET_IMPORTS = Kind(
    name="trading.market_import",
    label="Trading: run the markets files whose task was lost",
    model_label="trading.MarketImport",
    task_name="crm.trading.tasks.run_market_import_task",
    sweep_task_name="crm.trading.tasks.sweep_market_imports_task",
    pending=Q(status="pending"),
    first_wait=dt.timedelta(seconds=60),
    lease=dt.timedelta(seconds=660),
    sweep_every=dt.timedelta(seconds=60),
    max_attempts=3,
    give_up=_imports_out_of_attempts,
)
