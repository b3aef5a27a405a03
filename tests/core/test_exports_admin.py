import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from crm.core.models import ExportJob
from crm.core.roles import Role
from tests.conftest import staff_with_role
from tests.core import exportapp  # noqa: F401  (registers the test admin site)
from tests.core.factories import ActivityFactory
from tests.core.xlsx import read_rows
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ACTIVITY_CHANGELIST = reverse("admin:core_activity_changelist")
ACTIVITY_EXPORT = reverse("admin:core_activity_export_xlsx")


def test_changelist_button_carries_the_current_filters(admin_client):
    ActivityFactory()

    response = admin_client.get(ACTIVITY_CHANGELIST, {"action": "login", "q": "Client"})

    assert response.status_code == 200
    assert f'href="{ACTIVITY_EXPORT}?action=login&amp;q=Client"' in response.text


def test_export_link_asks_for_confirmation_and_starts_nothing(admin_client):
    response = admin_client.get(ACTIVITY_EXPORT, {"action": "login"})

    assert response.status_code == 200
    assert "Export XLSX" in response.text
    assert ExportJob.objects.count() == 0


def test_admin_export_contains_exactly_the_filtered_rows(admin_client, admin_user, django_capture_on_commit_callbacks):
    kept = [ActivityFactory(action="login", target_repr=f"#{n} Kept", ip_address="10.0.0.1") for n in range(3)]
    ActivityFactory(action="login", target_repr="#9 Other")
    ActivityFactory(action="logout", target_repr="#8 Kept")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{ACTIVITY_EXPORT}?action=login&q=Kept")

    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:core_exportjob_change", args=[job.pk])
    assert (job.status, job.owner, job.params) == (
        ExportJob.Status.DONE,
        admin_user,
        {"action": ["login"], "q": ["Kept"]},
    )
    assert (job.rows_done, job.rows_total) == (3, 3)
    rows = read_rows(job)
    assert rows[0] == ["Created at", "Actor repr", "Channel", "Action", "Target type", "Target repr", "Ip address"]
    assert sorted(row[5] for row in rows[1:]) == sorted(a.target_repr for a in kept)
    assert {(row[3], row[6]) for row in rows[1:]} == {("login", "10.0.0.1")}


def test_export_selected_exports_only_the_ticked_rows(admin_client, django_capture_on_commit_callbacks):
    picked = ActivityFactory(target_repr="#1 Picked")
    ActivityFactory(target_repr="#2 Left")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            ACTIVITY_CHANGELIST, {"action": "export_selected_xlsx", "_selected_action": [picked.pk]}
        )

    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert [row[5] for row in read_rows(job)[1:]] == ["#1 Picked"]


def test_staff_without_the_list_permission_cannot_export(client):
    agent = staff_with_role(Role.SALES_AGENT)
    client.force_login(agent)

    response = client.post(ACTIVITY_EXPORT)

    assert response.status_code == 403
    assert ExportJob.objects.count() == 0


@pytest.mark.urls("tests.core.urls")
def test_agent_export_keeps_scoping_and_masked_email(client, django_capture_on_commit_callbacks):
    agent = staff_with_role(Role.SALES_AGENT)
    agent.user_permissions.add(*_perms("customers.export_customer"))
    own = CustomerFactory(email="alice@example.com", first_name="Alice", conversion_agent=agent)
    CustomerFactory(email="bob@example.com", first_name="Bob")
    client.force_login(agent)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("exporttest:customers_customer_export_xlsx"))

    rows = read_rows(ExportJob.objects.get())
    assert rows == [
        ["ID", "First name", "Email", "Status", "Conversion agent"],
        [own.pk, "Alice", "a***@example.com", "Active", str(agent)],
    ]


@pytest.mark.urls("tests.core.urls")
def test_compliance_export_shows_full_email(client, django_capture_on_commit_callbacks):
    officer = staff_with_role(Role.COMPLIANCE)
    CustomerFactory(email="alice@example.com", status="banned")
    CustomerFactory(email="bob@example.com", status="active")
    client.force_login(officer)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("exporttest:customers_customer_export_xlsx") + "?status__exact=banned")

    rows = read_rows(ExportJob.objects.get())
    assert [row[2:4] for row in rows[1:]] == [["alice@example.com", "Banned"]]


def test_job_fails_with_a_reason_when_the_owner_lost_the_permission(admin_staff, django_capture_on_commit_callbacks):
    from crm.core.exports.services import create_export_job

    admin_staff.groups.clear()

    with django_capture_on_commit_callbacks(execute=True):
        job = create_export_job(owner=admin_staff, source=ExportJob.Source.ADMIN, target="core.activity")

    job.refresh_from_db()
    assert (job.status, job.error, bool(job.file)) == (
        ExportJob.Status.FAILED,
        "You may no longer view this list.",
        False,
    )


def _perms(*names):
    from django.contrib.auth.models import Permission

    return [Permission.objects.get(content_type__app_label=n.split(".")[0], codename=n.split(".")[1]) for n in names]


@pytest.mark.urls("tests.core.urls")
def test_export_queries_do_not_grow_with_rows(django_assert_num_queries):
    from crm.core.exports.services import run_export
    from tests.core.factories import ExportJobFactory

    officer = staff_with_role(Role.COMPLIANCE)
    agent = staff_with_role(Role.SALES_AGENT)
    CustomerFactory.create_batch(3, conversion_agent=agent)
    small = ExportJobFactory(owner=officer, target="exporttest:customers.customer")
    large = ExportJobFactory(owner=officer, target="exporttest:customers.customer")
    ContentType.objects.get_for_model(ExportJob)  # cached for the whole process, as in a worker

    with django_assert_num_queries(11) as small_run:
        run_export(small.pk)
    small.refresh_from_db()
    assert (small.status, small.error) == ("done", "")
    CustomerFactory.create_batch(30, conversion_agent=agent)
    large.owner = type(officer).objects.get(pk=officer.pk)
    with django_assert_num_queries(11):
        run_export(large.pk)

    assert len(read_rows(large)) == 34
    assert len(small_run.captured_queries) == 11
