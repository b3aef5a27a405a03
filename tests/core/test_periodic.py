"""Periodic tasks without a beat process: the schedule runs inside `manage.py serve` in the embedded default, and
staff run the jobs they depend on now from the admin (recorded)."""

import datetime as dt
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from crm.core import periodic
from crm.core.events import emit
from crm.core.management.commands import serve
from crm.core.models import Activity, OutboxEvent
from crm.core.roles import Role, collected_run_now
from tests.conftest import staff_with_role

COMMISSIONS = "crm.affiliates.tasks.run_commissions_task"
PAYOUT_SWEEP = "crm.payments.tasks.sweep_payouts_task"
OUTBOX_SWEEP = "crm.core.tasks.dispatch_pending_events_task"


@pytest.fixture
def schedule(db):
    call_command("setup_periodic_tasks", verbosity=0)
    return {task.task: task for task in PeriodicTask.objects.all()}


def task_names(response) -> set[str]:
    return {task.task for task in response.context["cl"].result_list}


def test_every_scheduled_task_can_be_run_now_by_someone(schedule):
    assert set(schedule) <= set(collected_run_now())


@pytest.mark.django_db(transaction=True)
def test_the_embedded_beat_runs_due_tasks_of_the_stored_schedule(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    call_command("setup_periodic_tasks", verbosity=0)
    PeriodicTask.objects.exclude(task=OUTBOX_SWEEP).update(enabled=False)
    PeriodicTask.objects.filter(task=OUTBOX_SWEEP).update(last_run_at=timezone.now() - dt.timedelta(minutes=5))
    event = emit("test.happened", value=1)  # outside a transaction: dispatched by the sweep, not on commit
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None, next_attempt_at=None)

    service = periodic.start_embedded_beat()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and OutboxEvent.objects.filter(dispatched_at__isnull=True).exists():
            time.sleep(0.2)
    finally:
        service.stop()

    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()
    assert PeriodicTask.objects.get(task=OUTBOX_SWEEP).total_run_count >= 1


def test_serve_starts_the_beat_only_when_tasks_run_in_process(settings, monkeypatch):
    started = []
    monkeypatch.setattr(serve, "start_embedded_beat", lambda: started.append(True))
    monkeypatch.setattr(serve.RunserverCommand, "inner_run", lambda self, *args, **options: None)

    settings.CELERY_TASK_ALWAYS_EAGER = True
    serve.Command().inner_run()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    serve.Command().inner_run()

    assert started == [True]


def test_affiliate_manager_sees_and_runs_the_commission_jobs_only(client, schedule):
    manager = staff_with_role(Role.AFFILIATE_MANAGER)
    client.force_login(manager)

    listed = client.get(reverse("admin:django_celery_beat_periodictask_changelist"))
    run = client.post(
        reverse("admin:django_celery_beat_periodictask_run_now", args=[schedule[COMMISSIONS].pk]),
        {"_form_submitted": "True"},
        follow=True,
    )
    refused = client.post(
        reverse("admin:django_celery_beat_periodictask_run_now", args=[schedule[PAYOUT_SWEEP].pk]),
        {"_form_submitted": "True"},
    )

    assert task_names(listed) == {
        COMMISSIONS,
        "crm.affiliates.tasks.approve_due_commissions_task",
    }
    assert [str(m) for m in run.context["messages"]] == ["Affiliates: calculate commissions ran now."]
    assert refused.status_code == 403
    activity = Activity.objects.get(action="periodic_task.run_now")
    assert (activity.actor, activity.data["task"]) == (manager, COMMISSIONS)


def test_finance_runs_the_payout_sweep_from_the_list(client, finance_officer, schedule):
    client.force_login(finance_officer)

    response = client.post(
        reverse("admin:django_celery_beat_periodictask_changelist"),
        {"action": "run_now_selected", "_selected_action": [schedule[PAYOUT_SWEEP].pk]},
        follow=True,
    )

    assert "Payments: send payouts whose task was lost ran now." in [str(m) for m in response.context["messages"]]
    assert Activity.objects.filter(action="periodic_task.run_now", data__task=PAYOUT_SWEEP).count() == 1


def test_staff_without_a_job_do_not_see_the_periodic_tasks(client, sales_agent, schedule):
    client.force_login(sales_agent)

    response = client.get(reverse("admin:django_celery_beat_periodictask_changelist"))

    assert response.status_code == 403


def test_a_task_that_fails_in_process_is_reported(client, admin_user, schedule, monkeypatch):
    def broken():
        raise RuntimeError("disk full")

    task = periodic.celery_app().tasks[OUTBOX_SWEEP]
    monkeypatch.setattr(task, "run", broken)
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:django_celery_beat_periodictask_run_now", args=[schedule[OUTBOX_SWEEP].pk]),
        {"_form_submitted": "True"},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == ["Outbox: dispatch pending events failed: disk full"]


def test_periodic_task_changelist_queries_are_flat(client, admin_user, schedule, django_assert_max_num_queries):
    client.force_login(admin_user)
    client.get(reverse("admin:django_celery_beat_periodictask_changelist"))
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("admin:django_celery_beat_periodictask_changelist"))
    for n in range(6):
        PeriodicTask.objects.create(name=f"extra {n}", task=OUTBOX_SWEEP, interval=schedule[OUTBOX_SWEEP].interval)
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("admin:django_celery_beat_periodictask_changelist"))
