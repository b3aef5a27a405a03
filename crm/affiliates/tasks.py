"""Thin Celery wrappers around the affiliate services (run by beat: see setup_periodic_tasks)."""

from celery import shared_task

from crm.affiliates import services


@shared_task(acks_late=True, time_limit=3 * 3600, soft_time_limit=3 * 3600 - 60)
def run_commissions_task() -> dict:
    """Compute the commission ledger of the actions stored since the last run; a second run creates nothing."""
    return services.run_commissions().__dict__


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def approve_due_commissions_task() -> int:
    """Approve the pending commissions whose hold period is over."""
    return services.approve_due_commissions()


@shared_task(acks_late=True, time_limit=3600)
def run_monthly_payouts_task() -> list[int]:
    """Pay out the affiliates on automatic payout; a second run the same month finds nothing left to pay."""
    return services.run_monthly_payouts()
