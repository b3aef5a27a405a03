"""The admin's report runs and templates: what the seed-001 jobs added (a run's name, who changed or deleted a
template and when, its format, people to notify and schedule) is shown, read-only where the system sets it, and
the changelists cost the same queries for one row and for several."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.core.roles import Role
from crm.reports.models import ReportRun, ReportTemplate
from tests.conftest import staff_with_role

pytestmark = pytest.mark.django_db

TEMPLATES = reverse("admin:reports_reporttemplate_changelist")
RUNS = reverse("admin:reports_reportrun_changelist")


def template(owner, name: str, **fields) -> ReportTemplate:
    base = timezone.now() + dt.timedelta(days=1)
    return ReportTemplate.objects.create(
        owner=owner, name=name, kind="balance", base_date=base, next_run_at=base, file_format="csv",
        notify_emails=["cfo@example.com"], **fields,
    )  # fmt: skip


def queries(client, url: str) -> tuple[int, int]:
    """(rows listed, queries taken)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response.context["cl"].result_count, len(captured)


@pytest.fixture
def admin_staff_client(client):
    user = staff_with_role(Role.ADMIN, first_name="Ada", last_name="Admin")
    client.force_login(user)
    client.user = user
    return client


def test_templates_show_who_changed_them_and_the_deleted_ones_who_deleted_them(admin_staff_client):
    editor = staff_with_role(Role.FINANCE, first_name="Eve", last_name="Editor")
    remover = staff_with_role(Role.FINANCE, first_name="Rob", last_name="Remover")
    live = template(admin_staff_client.user, "Live balance", updated_by=editor)
    gone = template(admin_staff_client.user, "Old balance", deleted_by=remover, deleted_at=timezone.now())

    listed = admin_staff_client.get(TEMPLATES)
    deleted = admin_staff_client.get(TEMPLATES, {"deleted": "yes"})
    detail = admin_staff_client.get(reverse("admin:reports_reporttemplate_change", args=[gone.pk]))
    edit = admin_staff_client.get(reverse("admin:reports_reporttemplate_change", args=[live.pk]))

    assert [row.pk for row in listed.context["cl"].result_list] == [live.pk]
    assert b"Eve Editor" in listed.content
    assert [row.pk for row in deleted.context["cl"].result_list] == [gone.pk]
    assert b"Rob Remover" in deleted.content
    assert detail.status_code == 200
    assert not detail.context["has_change_permission"]  # a deleted template is read-only
    assert b"Rob Remover" in detail.content
    form = edit.context["adminform"].form
    assert {"name", "kind", "params", "file_format", "notify_emails", "frequency", "days_of_week"} <= set(form.fields)
    shown = set(edit.context["adminform"].readonly_fields)
    assert {"owner", "updated_by", "updated_at", "deleted_by", "deleted_at", "next_run_at", "last_run_at"} <= shown
    assert not shown & set(form.fields)


def test_a_deleted_template_is_not_run_again_from_the_admin(admin_staff_client):
    gone = template(admin_staff_client.user, "Old", deleted_by=admin_staff_client.user, deleted_at=timezone.now())

    admin_staff_client.post(f"{TEMPLATES}?deleted=yes", {"action": "run_now", "_selected_action": [gone.pk]})

    assert not ReportRun.objects.exists()


@pytest.mark.parametrize("url", [TEMPLATES, f"{TEMPLATES}?deleted=yes"], ids=["live", "deleted"])
def test_template_changelists_cost_the_same_queries_for_one_row_and_for_four(admin_staff_client, url):
    def add(count: int) -> None:
        for _ in range(count):
            who = staff_with_role(Role.FINANCE)
            deleted = {"deleted_by": who, "deleted_at": timezone.now()} if "deleted" in url else {}
            template(who, f"T{ReportTemplate.objects.count()}", updated_by=staff_with_role(Role.FINANCE), **deleted)

    add(1)
    one = queries(admin_staff_client, url)
    add(3)
    four = queries(admin_staff_client, url)

    assert (one[0], four[0]) == (1, 4)
    assert one[1] == four[1]


def test_runs_show_their_name_and_cost_the_same_queries_for_one_row_and_for_four(admin_staff_client):
    def add(count: int) -> None:
        for number in range(count):
            owner = staff_with_role(Role.FINANCE)
            ReportRun.objects.create(
                owner=owner, kind="h.orders", name=f"Orders {number}", params={"filters": []},
                template=template(owner, f"T{number}"),
            )  # fmt: skip

    add(1)
    one = queries(admin_staff_client, RUNS)
    add(3)
    four = queries(admin_staff_client, RUNS)
    detail = admin_staff_client.get(reverse("admin:reports_reportrun_change", args=[ReportRun.objects.first().pk]))

    assert (one[0], four[0]) == (1, 4)
    assert one[1] == four[1]
    assert b"Orders 0" in admin_staff_client.get(RUNS).content
    assert "name" in detail.context["adminform"].readonly_fields
