"""Create or update the Celery beat schedule: one sweep per kind of stored work (crm.core.work: outbox, provider
and KYC webhooks, payouts, lead imports, exports), export clean-up, commissions. Safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from crm.core import work

EXPORT_CLEANUP = "Exports: delete expired files"
COMMISSION_RUN = "Affiliates: calculate commissions"
COMMISSION_APPROVAL = "Affiliates: approve commissions after the hold period"
MONTHLY_PAYOUT = "Affiliates: automatic monthly payout"


class Command(BaseCommand):
    help = "Create or update the periodic tasks of the back office (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        daily, _ = CrontabSchedule.objects.get_or_create(
            minute="30", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        every_five_minutes, _ = IntervalSchedule.objects.get_or_create(every=5, period=IntervalSchedule.MINUTES)
        hourly, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.HOURS)
        monthly, _ = CrontabSchedule.objects.get_or_create(
            minute="0", hour="6", day_of_week="*", day_of_month="1", month_of_year="*", timezone="UTC"
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
        ]
        for name, task, when in schedule:
            _task, created = PeriodicTask.objects.update_or_create(
                name=name, defaults={"task": task, "enabled": True, **when}
            )
            self.stdout.write(f"{'Created' if created else 'Updated'} {name} ({task})")

    @staticmethod
    def every(interval) -> IntervalSchedule:
        seconds = max(int(interval.total_seconds()), 1)
        schedule, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
        return schedule
