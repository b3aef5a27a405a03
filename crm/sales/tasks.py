from celery import shared_task

from crm.sales.services import imports


@shared_task(acks_late=True, time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def run_import_task(job_id: int) -> None:
    """Import the rows of one lead import; a done or failed import is left alone, an interrupted one resumes."""
    imports.run_import(job_id)
