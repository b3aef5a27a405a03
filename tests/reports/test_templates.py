"""Report templates: schedules in the broker's zone, due runs started once, run now, soft delete, admin."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from crm.core.exceptions import PermissionDenied
from crm.reports import services
from crm.reports.models import ReportRun, ReportTemplate
from tests.users.factories import StaffUserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("broker_zone")]

ZONE = ZoneInfo("Asia/Nicosia")


@pytest.fixture
def broker_zone(settings):
    settings.TIME_ZONE = "Asia/Nicosia"


def local(year: int, month: int, day: int, hour: int = 6) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=ZONE)


def template(owner, **kwargs) -> ReportTemplate:
    fields = {
        "name": "Daily balance",
        "kind": "balance",
        "frequency": ReportTemplate.Frequency.DAILY,
        "base_date": local(2026, 11, 2),  # a Monday, 06:00
        "next_run_at": local(2026, 11, 2),
        "notify_emails": ["cfo@example.com"],
        **kwargs,
    }
    return ReportTemplate.objects.create(owner=owner, **fields)


@pytest.mark.parametrize(
    ("frequency", "days", "after", "expected"),
    [
        ("daily", [], local(2026, 11, 10, 7), local(2026, 11, 11)),
        ("daily", [], local(2026, 11, 10, 5), local(2026, 11, 10)),
        ("weekly", [], local(2026, 11, 2, 6), local(2026, 11, 9)),
        ("weekly", [3, 5], local(2026, 11, 4, 6), local(2026, 11, 6)),
        ("monthly", [], local(2026, 11, 2, 6), local(2026, 12, 2)),
        ("daily", [], local(2026, 10, 1), local(2026, 11, 2)),  # before the base date: the base date
    ],
    ids=["daily_next_day", "daily_same_day", "weekly_base_weekday", "weekly_chosen_days", "monthly", "not_started"],
)
def test_next_run_follows_the_schedule_in_the_broker_zone(finance_officer, frequency, days, after, expected):
    schedule = template(finance_officer, frequency=frequency, days_of_week=days)

    assert services.next_run_after(schedule, after) == expected


def test_monthly_on_the_31st_runs_on_the_last_day_of_shorter_months(finance_officer):
    schedule = template(finance_officer, frequency="monthly", base_date=local(2026, 1, 31))

    assert services.next_run_after(schedule, local(2026, 2, 1)) == local(2026, 2, 28)


def test_due_templates_start_one_run_each_for_yesterday_and_move_on(finance_officer, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    due = template(finance_officer)
    template(finance_officer, name="Later", next_run_at=local(2026, 11, 20))
    template(finance_officer, name="Off", is_enabled=False)
    now = local(2026, 11, 10, 6)

    with TestCase.captureOnCommitCallbacks(execute=True):
        first = services.run_due_templates(now=now)
    second = services.run_due_templates(now=now)

    run = ReportRun.objects.get()
    due.refresh_from_db()
    assert (first, second) == (1, 0)
    assert (run.template, run.params["start"], run.params["end"], run.status) == (
        due,
        "2026-11-09",
        "2026-11-09",
        "done",
    )
    assert due.next_run_at == local(2026, 11, 11)
    assert sorted(message.to[0] for message in mail.outbox) == ["cfo@example.com", finance_officer.email]


def test_a_deleted_template_stops_and_keeps_who_and_when(finance_officer):
    schedule = template(finance_officer)

    services.delete_template(schedule, actor=finance_officer)

    schedule.refresh_from_db()
    assert (schedule.deleted_by, schedule.deleted_at is not None) == (finance_officer, True)
    assert services.run_due_templates(now=local(2026, 11, 10)) == 0
    assert not ReportTemplate.objects.visible_to(finance_officer).exists()


def test_admin_creates_a_weekly_template_and_refuses_a_bad_weekday(client, finance_officer):
    client.force_login(finance_officer)
    url = reverse("admin:reports_reporttemplate_add")
    data = {
        "name": "Weekly affiliation",
        "kind": "balance",
        "params": '{"sortBy": "-closing"}',
        "period_days": "7",
        "file_format": "xlsx",
        "notify_emails": "a@example.com, b@example.com",
        "frequency": "weekly",
        "days_of_week": "[1]",
        "base_date_0": "2026-11-02",
        "base_date_1": "06:00:00",
        "is_enabled": "on",
    }

    refused = client.post(url, {**data, "days_of_week": "[9]"})
    created = client.post(url, data)

    assert refused.status_code == 200
    assert "days_of_week" in refused.context["adminform"].form.errors
    assert created.status_code == 302
    saved = ReportTemplate.objects.get()
    assert (saved.owner, saved.notify_emails, saved.days_of_week) == (
        finance_officer,
        ["a@example.com", "b@example.com"],
        [1],
    )
    assert saved.next_run_at.isoweekday() == 1


def test_admin_run_now_and_delete_are_soft(client, finance_officer, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    schedule = template(finance_officer)
    client.force_login(finance_officer)
    changelist = reverse("admin:reports_reporttemplate_changelist")

    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(changelist, {"action": "run_now", "_selected_action": [schedule.pk]})
    client.post(reverse("admin:reports_reporttemplate_delete", args=[schedule.pk]), {"post": "yes"})

    assert ReportRun.objects.get().template == schedule
    assert ReportTemplate.objects.filter(pk=schedule.pk, deleted_by=finance_officer).exists()


@pytest.mark.parametrize("lost", ["role", "account"])
def test_a_scheduled_run_whose_owner_lost_the_report_fails_saying_so_and_the_schedule_moves_on(
    finance_officer, settings, lost
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    due = template(finance_officer)
    if lost == "role":
        finance_officer.groups.clear()
    else:
        finance_officer.is_active = False
        finance_officer.save(update_fields=["is_active"])

    with TestCase.captureOnCommitCallbacks(execute=True):
        started = services.run_due_templates(now=local(2026, 11, 10, 6))

    run = ReportRun.objects.get()
    due.refresh_from_db()
    assert (started, run.status, bool(run.file)) == (1, "failed", False)
    assert run.error == f"{finance_officer.email} may no longer see this report."
    assert due.next_run_at == local(2026, 11, 11)
    assert mail.outbox == []


def test_run_now_is_refused_to_a_staff_member_without_the_reports_data(finance_officer):
    schedule = template(finance_officer)

    with pytest.raises(PermissionDenied):
        services.run_template(schedule, actor=StaffUserFactory())

    assert not ReportRun.objects.exists()
