import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

pytestmark = pytest.mark.django_db


def test_setup_periodic_tasks_is_idempotent():
    call_command("setup_periodic_tasks")
    PeriodicTask.objects.filter(task="crm.core.tasks.dispatch_pending_events_task").update(enabled=False)
    call_command("setup_periodic_tasks")

    tasks = {task.task: task for task in PeriodicTask.objects.select_related("interval", "crontab")}
    assert sorted(tasks) == [
        "crm.affiliates.tasks.approve_due_commissions_task",
        "crm.affiliates.tasks.run_commissions_task",
        "crm.affiliates.tasks.run_monthly_payouts_task",
        "crm.communications.tasks.sweep_call_events_task",
        "crm.communications.tasks.sweep_email_webhooks_task",
        "crm.communications.tasks.sweep_emails_task",
        "crm.communications.tasks.sweep_pushes_task",
        "crm.core.tasks.delete_expired_exports_task",
        "crm.core.tasks.dispatch_pending_events_task",
        "crm.core.tasks.sweep_exports_task",
        "crm.customers.tasks.sweep_kyc_webhooks_task",
        "crm.payments.tasks.sweep_payouts_task",
        "crm.payments.tasks.sweep_webhooks_task",
        "crm.reports.tasks.delete_expired_reports_task",
        "crm.reports.tasks.refresh_dashboard_rollups_task",
        "crm.reports.tasks.run_due_report_templates_task",
        "crm.reports.tasks.sweep_report_runs_task",
        "crm.sales.tasks.sweep_imports_task",
        "crm.trading.tasks.charge_funding_task",
        "crm.trading.tasks.charge_swaps_task",
        "crm.trading.tasks.check_accounts_task",
        "crm.trading.tasks.expire_orders_task",
        "crm.trading.tasks.prune_candles_task",
        "crm.trading.tasks.sandbox_quotes_task",
        "crm.trading.tasks.sweep_market_imports_task",
        "crm.trading.tasks.sync_platforms_task",
    ]
    payout = tasks["crm.affiliates.tasks.run_monthly_payouts_task"]
    assert (payout.crontab.day_of_month, payout.crontab.hour, payout.interval) == ("1", "6", None)
    sweep = tasks["crm.core.tasks.dispatch_pending_events_task"]
    cleanup = tasks["crm.core.tasks.delete_expired_exports_task"]
    assert (sweep.enabled, sweep.interval.every, sweep.interval.period) == (True, 60, "seconds")
    assert (cleanup.crontab.hour, cleanup.crontab.minute, cleanup.interval) == ("3", "30", None)
    reports = tasks["crm.reports.tasks.run_due_report_templates_task"]
    assert (reports.interval.every, reports.interval.period) == (1, "minutes")
