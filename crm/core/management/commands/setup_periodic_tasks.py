"""Create or update the Celery beat schedule of core (outbox sweep, export cleanup). Safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

OUTBOX_SWEEP = "Outbox: dispatch pending events"
EXPORT_CLEANUP = "Exports: delete expired files"


class Command(BaseCommand):
    help = "Create or update the periodic tasks of the back office (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.MINUTES)
        daily, _ = CrontabSchedule.objects.get_or_create(
            minute="30", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        schedule = [
            (OUTBOX_SWEEP, "crm.core.tasks.dispatch_pending_events_task", {"interval": every_minute, "crontab": None}),
            (EXPORT_CLEANUP, "crm.core.tasks.delete_expired_exports_task", {"crontab": daily, "interval": None}),
        ]
        for name, task, when in schedule:
            _task, created = PeriodicTask.objects.update_or_create(
                name=name, defaults={"task": task, "enabled": True, **when}
            )
            self.stdout.write(f"{'Created' if created else 'Updated'} {name} ({task})")
