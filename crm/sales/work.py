"""Sales' stored work (crm.core.work): lead imports, swept by their own beat entry."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from crm.core.work import Kind


def _imports_out_of_attempts(pks: list[int]) -> None:
    from crm.sales.services.imports import give_up_imports

    give_up_imports(pks)


IMPORTS = Kind(
    name="sales.import",
    label="Leads: run the imports whose task was lost",
    model_label="sales.LeadImport",
    task_name="crm.sales.tasks.run_import_task",
    sweep_task_name="crm.sales.tasks.sweep_imports_task",
    pending=Q(status__in=["queued", "running"]),
    first_wait=dt.timedelta(seconds=60),
    lease=dt.timedelta(seconds=960),
    sweep_every=dt.timedelta(seconds=60),
    # Each run goes on where the last committed batch ended; a long import takes a run per 15 minutes.
    max_attempts=50,
    give_up=_imports_out_of_attempts,
)
