"""Thin Celery wrappers around the affiliate services (run by beat: see setup_periodic_tasks)."""

from celery import shared_task

from crm.affiliates import services

# No task outlives the broker's visibility timeout (20 min, config/settings/celery.py), or a second worker would
# get it while it runs: both runs stop at 15 minutes and the next scheduled run goes on where they stopped.


@shared_task(acks_late=True, time_limit=900, soft_time_limit=870)
def run_commissions_task() -> dict:
    """Compute the commission ledger of the actions stored since the last run (chunk by chunk, each chunk
    committed); a second run creates nothing, a run cut by its time limit is continued by the next."""
    return services.run_commissions().__dict__


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def approve_due_commissions_task() -> int:
    """Approve the pending commissions whose hold period is over."""
    return services.approve_due_commissions()


@shared_task(acks_late=True, time_limit=900, soft_time_limit=870)
def run_monthly_payouts_task() -> list[int]:
    """Pay out the affiliates on automatic payout (one transaction each); a second run the same month finds
    nothing left to pay, so a run cut by its time limit is finished by running it again."""
    return services.run_monthly_payouts()
