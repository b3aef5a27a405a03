"""The leads admin: "my leads", scope, search, filters, query counts, actions, dashboard, imports, desks."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.admin import helpers
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.core.exports.services import run_export
from crm.core.models import ExportJob
from crm.sales.admin.leads import LeadAdmin
from crm.sales.models import Lead, LeadImport
from crm.users.models import Desk
from tests.conftest import staff_with_role
from tests.customers.factories import SalesStatusFactory
from tests.sales.factories import DeskFactory, LeadFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:sales_lead_changelist")


def shown(client, params: dict | None = None) -> set[int]:
    response = client.get(CHANGELIST, params or {})
    assert response.status_code == 200
    return {lead.pk for lead in response.context["cl"].result_list}


def test_changelist_shows_my_leads_by_default(client, sales_manager, sales_agent):
    mine = LeadFactory(sales_person=sales_manager)
    theirs = LeadFactory(sales_person=sales_agent)
    free = LeadFactory()
    client.force_login(sales_manager)

    assert shown(client) == {mine.pk}
    assert shown(client, {"assigned": "all"}) == {mine.pk, theirs.pk, free.pk}
    assert shown(client, {"assigned": "unassigned"}) == {free.pk}


def test_agent_never_sees_other_agents_leads(client, sales_agent, other_sales_agent):
    mine = LeadFactory(sales_person=sales_agent)
    theirs = LeadFactory(sales_person=other_sales_agent)
    client.force_login(sales_agent)

    assert shown(client, {"assigned": "all"}) == {mine.pk}
    assert client.get(reverse("admin:sales_lead_change", args=[theirs.pk])).status_code == 302


@pytest.mark.parametrize("params", [{}, {"assigned": "all", "q": "smi"}, {"assigned": "all", "duplicate": "yes"}])
def test_changelist_query_count_is_flat(client, sales_manager, params):
    status, desk = SalesStatusFactory(), DeskFactory()
    LeadFactory.create_batch(3, sales_person=sales_manager, last_name="Smith", sales_status=status, desk=desk)
    client.force_login(sales_manager)
    client.get(CHANGELIST, params)
    with CaptureQueriesContext(connection) as few:
        client.get(CHANGELIST, params)
    LeadFactory.create_batch(30, sales_person=sales_manager, last_name="Smith", sales_status=status, desk=desk)
    with CaptureQueriesContext(connection) as many:
        client.get(CHANGELIST, params)

    assert len(many) == len(few)


def test_changelist_does_not_count_the_whole_table(client, sales_manager):
    client.force_login(sales_manager)

    response = client.get(CHANGELIST)

    assert response.context["cl"].show_full_result_count is False


@pytest.mark.parametrize(
    ("term", "expected"),
    [("ann.lee@", "a"), ("LEEDS", "b"), ("ann lee", "a"), ("+4479110", "b")],
)
def test_search_uses_prefixes(client, sales_manager, term, expected):
    leads = {
        "a": LeadFactory(first_name="Ann", last_name="Lee", email="ann.lee@example.com", phone="+447700900000"),
        "b": LeadFactory(first_name="Bob", last_name="Leeds", email="bob@example.com", phone="+447911000000"),
    }
    client.force_login(sales_manager)

    assert shown(client, {"assigned": "all", "q": term}) == {leads[expected].pk}


def test_filters_by_status_desk_and_follow_up(client, sales_manager):
    status, desk = SalesStatusFactory(), DeskFactory()
    a = LeadFactory(sales_status=status, follow_up_at=timezone.now() - dt.timedelta(hours=1))
    b = LeadFactory(desk=desk)
    client.force_login(sales_manager)

    assert shown(client, {"assigned": "all", "sales_status__id__exact": status.pk}) == {a.pk}
    assert shown(client, {"assigned": "all", "desk__id__exact": desk.pk}) == {b.pk}
    assert shown(client, {"assigned": "all", "follow_up": "due"}) == {a.pk}


def _action(client, action: str, leads, **extra):
    data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [lead.pk for lead in leads], "index": 0, **extra}
    return client.post(f"{CHANGELIST}?assigned=all", data)


def test_bulk_assign_action(client, sales_manager, sales_agent):
    leads = LeadFactory.create_batch(2)
    client.force_login(sales_manager)

    form_page = _action(client, "assign_selected", leads)
    response = _action(client, "assign_selected", leads, apply="1", sales_person=sales_agent.pk)

    assert form_page.status_code == 200
    assert response.status_code == 302
    assert set(Lead.objects.values_list("sales_person_id", flat=True)) == {sales_agent.pk}


def test_bulk_change_status_action(client, sales_manager):
    leads = LeadFactory.create_batch(2)
    status = SalesStatusFactory()
    client.force_login(sales_manager)

    _action(client, "change_status_selected", leads, apply="1", sales_status=status.pk)

    assert set(Lead.objects.values_list("sales_status_id", flat=True)) == {status.pk}


def test_agent_has_no_bulk_assign_action(client, sales_agent):
    lead = LeadFactory(sales_person=sales_agent)
    client.force_login(sales_agent)

    _action(client, "assign_selected", [lead], apply="1", sales_person=sales_agent.pk)
    response = client.get(CHANGELIST)

    assert "assign_selected" not in response.context["action_form"].fields["action"].choices.__str__()


def test_export_selected_queues_a_job(client, sales_manager):
    leads = LeadFactory.create_batch(2, sales_person=sales_manager)
    client.force_login(sales_manager)

    response = _action(client, "export_selected_xlsx", leads)
    job = run_export(ExportJob.objects.get().pk)

    assert response.status_code == 302
    assert (job.target, job.status, job.rows_done) == ("sales.lead", ExportJob.Status.DONE, 2)


def _detail_action(client, lead, name, data=None):
    return client.post(
        reverse(f"admin:sales_lead_{name}", args=[lead.pk]), {"_form_submitted": "True", **(data or {})}
    )


def test_detail_claim_email_follow_up_and_merge(client, sales_manager, django_capture_on_commit_callbacks):
    lead = LeadFactory(email="to@example.com")
    other = LeadFactory()
    client.force_login(sales_manager)

    _detail_action(client, lead, "claim")
    with django_capture_on_commit_callbacks(execute=True):
        _detail_action(client, lead, "send_email", {"subject": "Hi", "body": "Hello"})
    _detail_action(client, lead, "follow_up", {"follow_up_at_0": "2030-01-02", "follow_up_at_1": "10:00", "note": "x"})
    _detail_action(client, lead, "merge", {"other_id": other.pk})

    lead.refresh_from_db()
    assert lead.sales_person_id == sales_manager.pk
    assert [m.subject for m in mail.outbox] == ["Hi"]
    assert lead.follow_up_at.year == 2030
    assert Lead.objects.get(pk=other.pk).merged_into_id == lead.pk


def test_agent_cannot_claim_an_invisible_lead_from_the_admin(client, sales_agent, other_sales_agent):
    lead = LeadFactory(sales_person=None)
    client.force_login(sales_agent)

    response = _detail_action(client, lead, "claim")

    assert response.status_code == 404
    assert Lead.objects.get(pk=lead.pk).sales_person_id is None


def test_lead_page_adds_a_comment_through_the_service(client, sales_agent):
    lead = LeadFactory(sales_person=sales_agent, email="keep@example.com", phone="")
    client.force_login(sales_agent)
    url = reverse("admin:sales_lead_change", args=[lead.pk])
    page = client.get(url)
    assert page.status_code == 200
    management = {}
    for inline in page.context["inline_admin_formsets"]:
        form = inline.formset.management_form
        management.update({f"{form.prefix}-{name}": value for name, value in form.initial.items()})
    data = {
        **management,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": "keep@example.com",
        "phone": "",
        "country": "GB",
        "language": "",
        "can_be_called": "on",
        "source": "web",
        "comments-TOTAL_FORMS": "1",
        "comments-INITIAL_FORMS": "0",
        "comments-0-body": "Spoke to them",
    }

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert list(lead.comments.values_list("body", flat=True)) == ["Spoke to them"]


def test_add_lead_through_the_admin_routes_it(client, sales_agent):
    client.force_login(sales_agent)

    response = client.post(
        reverse("admin:sales_lead_add"),
        {"first_name": "New", "email": "new@example.com", "phone": "07911 123456", "country": "GB"},
    )

    assert response.status_code == 302
    lead = Lead.objects.get()
    assert (lead.phone, lead.sales_person_id) == ("+447911123456", sales_agent.pk)


def test_dashboard_counts_by_status_and_lists_due_follow_ups(client, sales_agent):
    status = SalesStatusFactory(name="Hot")
    LeadFactory.create_batch(2, sales_person=sales_agent, sales_status=status)
    due = LeadFactory(sales_person=sales_agent, follow_up_at=timezone.now() - dt.timedelta(minutes=1))
    client.force_login(sales_agent)

    response = client.get(reverse("admin:sales_lead_dashboard"))

    assert response.status_code == 200
    assert [(row["sales_status__name"], row["count"]) for row in response.context["by_status"]] == [
        ("Hot", 2),
        (None, 1),
    ]
    assert response.context["due"] == [due]


def test_import_upload_preview_and_start(client, sales_manager, django_capture_on_commit_callbacks):
    client.force_login(sales_manager)
    upload = SimpleUploadedFile("leads.csv", b"email,country\na@example.com,GB\nb@example.com,ZZ\n")

    added = client.post(reverse("admin:sales_leadimport_add"), {"file": upload, "batch_size": 1000, "assign": "on"})
    job = LeadImport.objects.get()
    page = client.get(reverse("admin:sales_leadimport_change", args=[job.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:sales_leadimport_start", args=[job.pk]), {"_form_submitted": "True"})

    assert added.status_code == 302
    assert b"Unknown country" in page.content
    job.refresh_from_db()
    assert (job.status, job.rows_imported, job.rows_rejected) == (LeadImport.Status.DONE, 1, 1)
    report_page = client.get(reverse("admin:sales_leadimport_change", args=[job.pk]))
    assert b"Download the report" in report_page.content


def test_desk_admin_saves_through_the_service(client, sales_manager, sales_agent):
    client.force_login(sales_manager)

    response = client.post(
        reverse("admin:users_desk_add"),
        {"name": "Spain", "desk_type": "conversion", "manager": sales_manager.pk, "members": [sales_agent.pk]},
    )

    assert response.status_code == 302
    desk = Desk.objects.get()
    assert list(desk.members.values_list("pk", flat=True)) == [sales_agent.pk]


def test_marking_staff_absent_from_the_staff_list(client, admin_staff):
    agent = staff_with_role("Sales Agent")
    client.force_login(admin_staff)

    client.post(
        reverse("admin:users_user_changelist"),
        {"action": "mark_absent", helpers.ACTION_CHECKBOX_NAME: [agent.pk], "index": 0},
    )

    agent.refresh_from_db()
    assert agent.is_absent is True


def test_changelist_rows_keep_the_checkbox_and_labels_unfold_renders(client, sales_manager):
    """crm.core.admin_changelist: the row checkbox rendered once and filled per row is Unfold's own, and every
    cell still carries its column's label (the headers are built once per page, not once per row)."""
    from unfold.admin import checkbox
    from unfold.templatetags import unfold_list

    leads = LeadFactory.create_batch(3, sales_person=sales_manager)
    client.force_login(sales_manager)

    html = client.get(CHANGELIST).content.decode()

    for lead in leads:
        assert str(checkbox.render(helpers.ACTION_CHECKBOX_NAME, str(lead.pk))) in html
    labels = re.findall(r'<t[dh] class="[^"]*" data-label="([^"]+)"', html)
    columns = len(LeadAdmin.list_display) + 1  # and the checkbox
    assert len(labels) == 3 * columns
    assert labels[:columns] == labels[columns : 2 * columns]
    assert unfold_list.result_headers.shared


def test_a_changelist_builds_its_headers_once():
    from types import SimpleNamespace

    from unfold.templatetags import unfold_list

    built = [{"text": "Name"}]
    cl = SimpleNamespace(_shared_result_headers=built)

    assert list(unfold_list.result_headers(cl)) == built
    assert list(unfold_list.result_headers(cl)) == built


def _filter_choices(response, parameter: str) -> dict[str, str]:
    """The options of a changelist filter's dropdown: value -> text."""
    (spec,) = [
        spec for spec in response.context["cl"].filter_specs if getattr(spec, "lookup_kwarg", None) == parameter
    ]
    return {str(value): text for value, text in spec.lookup_choices}


def test_status_and_desk_filters_follow_new_renamed_and_deleted_rows(client, sales_manager):
    status, desk = SalesStatusFactory(name="Warm"), DeskFactory(name="Berlin")
    desk_pk = desk.pk
    client.force_login(sales_manager)
    first = client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as kept:
        client.get(CHANGELIST)

    new_status, new_desk = SalesStatusFactory(name="Hot"), DeskFactory(name="Madrid")
    status.name = "Lukewarm"
    status.save()
    desk.delete()
    after = client.get(CHANGELIST)

    assert _filter_choices(first, "sales_status__id__exact") == {str(status.pk): "Warm"}
    assert _filter_choices(first, "desk__id__exact") == {str(desk_pk): "Berlin"}
    assert not [q for q in kept.captured_queries if "customers_salesstatus" in q["sql"] or "users_desk" in q["sql"]]
    assert _filter_choices(after, "sales_status__id__exact") == {str(status.pk): "Lukewarm", str(new_status.pk): "Hot"}
    assert _filter_choices(after, "desk__id__exact") == {str(new_desk.pk): "Madrid"}


def test_status_filter_read_before_a_rename_commits_is_dropped_on_commit(
    client, sales_manager, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from crm.core.admin_filters import kept_choices
    from crm.customers.models import SalesStatus

    status = SalesStatusFactory(name="Warm")
    client.force_login(sales_manager)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        status.name = "Hot"
        status.save()
        # Another process reads the table before the rename commits and keeps what it saw.
        kept_choices(SalesStatus, ("related",), lambda: [(status.pk, "Warm")])  # the status filter's variant
    stale = _filter_choices(client.get(CHANGELIST), "sales_status__id__exact")
    for callback in callbacks:
        callback()
    fresh = _filter_choices(client.get(CHANGELIST), "sales_status__id__exact")

    assert stale == {str(status.pk): "Warm"}
    assert fresh == {str(status.pk): "Hot"}
    assert cache.get("admin-filter-choices:customers.salesstatus")  # kept again by the last page
