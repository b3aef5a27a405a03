import datetime as dt

from celery import shared_task

from crm.core import work
from crm.sales.services import imports
from crm.sales.work import IMPORTS

# A run imports batches for this long, then queues the next run (which goes on after the last batch).
RUN_FOR = dt.timedelta(minutes=12)


@shared_task(**work.retrying(time_limit=900))
def run_import_task(job_id: int) -> None:
    """Import the rows of one lead import for up to 12 minutes; a done or failed import is left alone, an
    interrupted or paused one goes on after its last committed batch."""
    imports.run_import(job_id, run_for=RUN_FOR)


@shared_task(**work.retrying(time_limit=60))
def sweep_imports_task() -> int:
    """Run again the lead imports whose task was lost (scheduled by beat); returns how many."""
    return work.sweep(IMPORTS)
