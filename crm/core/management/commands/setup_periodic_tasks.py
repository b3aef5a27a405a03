"""Create or update the Celery beat schedule: one sweep per kind of stored work (crm.core.work: outbox, provider
and KYC webhooks, payouts, lead imports, exports), export clean-up, commissions, trading, reports (scheduled
templates, the dashboard's daily rollups). Safe to run again."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from crm.core import work

EXPORT_CLEANUP = "Exports: delete expired files"
COMMISSION_RUN = "Affiliates: calculate commissions"
COMMISSION_APPROVAL = "Affiliates: approve commissions after the hold period"
MONTHLY_PAYOUT = "Affiliates: automatic monthly payout"
REPORT_SCHEDULE = "Reports: run scheduled report templates"
REPORT_CLEANUP = "Reports: delete expired report files"
DASHBOARD_ROLLUPS = "Reports: dashboard daily rollups"
SWAP_ROLLOVER = "Trading: swap rollover"
FUNDING = "Trading: perpetual funding"
ACCOUNT_CHECK = "Trading: stop-out check and account figures"
ORDER_EXPIRY = "Trading: expire good-till-date orders"
SANDBOX_QUOTES = "Trading: sandbox prices (demo feed without a feed process)"
CANDLE_PRUNING = "Trading: delete candles past their retention"
PLATFORM_SYNC = "Trading: sync deals from outside platforms"


class Command(BaseCommand):
    help = "Create or update the periodic tasks of the back office (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        daily, _ = CrontabSchedule.objects.get_or_create(
            minute="30", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.MINUTES)
        every_five_minutes, _ = IntervalSchedule.objects.get_or_create(every=5, period=IntervalSchedule.MINUTES)
        hourly, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.HOURS)
        monthly, _ = CrontabSchedule.objects.get_or_create(
            minute="0", hour="6", day_of_week="*", day_of_month="1", month_of_year="*", timezone="UTC"
        )
        rollover, _ = CrontabSchedule.objects.get_or_create(
            minute="0", hour="22", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        schedule = [
            (kind.label, kind.sweep_task_name, {"interval": self.every(kind.timing("sweep_every")), "crontab": None})
            for kind in work.kinds()
        ]
        schedule += [
            (EXPORT_CLEANUP, "crm.core.tasks.delete_expired_exports_task", {"crontab": daily, "interval": None}),
            (
                COMMISSION_RUN,
                "crm.affiliates.tasks.run_commissions_task",
                {"interval": every_five_minutes, "crontab": None},
            ),
            (
                COMMISSION_APPROVAL,
                "crm.affiliates.tasks.approve_due_commissions_task",
                {"interval": hourly, "crontab": None},
            ),
            (MONTHLY_PAYOUT, "crm.affiliates.tasks.run_monthly_payouts_task", {"crontab": monthly, "interval": None}),
            (
                REPORT_SCHEDULE,
                "crm.reports.tasks.run_due_report_templates_task",
                {"interval": every_minute, "crontab": None},
            ),
            (REPORT_CLEANUP, "crm.reports.tasks.delete_expired_reports_task", {"crontab": daily, "interval": None}),
            # Closed days and the days touched since; today is always read live (crm.reports.rollups).
            (
                DASHBOARD_ROLLUPS,
                "crm.reports.tasks.refresh_dashboard_rollups_task",
                {"interval": every_five_minutes, "crontab": None},
            ),
            (SWAP_ROLLOVER, "crm.trading.tasks.charge_swaps_task", {"crontab": rollover, "interval": None}),
            # Funding moments are every few hours from 00:00 UTC; each run charges those due, once each.
            (FUNDING, "crm.trading.tasks.charge_funding_task", {"interval": every_minute, "crontab": None}),
            (ACCOUNT_CHECK, "crm.trading.tasks.check_accounts_task", {"interval": every_minute, "crontab": None}),
            (ORDER_EXPIRY, "crm.trading.tasks.expire_orders_task", {"interval": every_minute, "crontab": None}),
            (CANDLE_PRUNING, "crm.trading.tasks.prune_candles_task", {"crontab": daily, "interval": None}),
            (PLATFORM_SYNC, "crm.trading.tasks.sync_platforms_task", {"interval": every_minute, "crontab": None}),
            # The demo's prices when no feed process runs (tasks in-process); production runs `run_price_feed`.
            (
                SANDBOX_QUOTES,
                "crm.trading.tasks.sandbox_quotes_task",
                {"interval": every_minute, "crontab": None, "enabled": bool(settings.CELERY_TASK_ALWAYS_EAGER)},
            ),
        ]
        for name, task, when in schedule:
            _task, created = PeriodicTask.objects.update_or_create(
                name=name, defaults={"task": task, "enabled": True, **when}
            )
            self.stdout.write(f"{'Created' if created else 'Updated'} {name} ({task})")

    @staticmethod
    def every(interval: dt.timedelta) -> IntervalSchedule:
        seconds = max(int(interval.total_seconds()), 1)
        schedule, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
        return schedule
