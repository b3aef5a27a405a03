import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse, reverse_lazy

from crm.core.models import ExportJob
from crm.core.roles import Role
from tests.conftest import staff_with_role
from tests.core.factories import ExportJobFactory
from tests.core.xlsx import read_rows
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db
EXPORTS_URL = reverse_lazy("backoffice:exportjob-list")


def _grant(user, *names):
    for name in names:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


@pytest.mark.urls("tests.core.urls")
def test_api_export_answers_202_and_exports_the_filtered_rows(api_client, django_capture_on_commit_callbacks):
    officer = staff_with_role(Role.COMPLIANCE)
    banned = CustomerFactory(email="zed@example.com", first_name="Zed", status="banned")
    CustomerFactory(status="active")
    api_client.force_authenticate(officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(reverse("exporttestapi:customer-export") + "?status=banned&limit=1")

    job = ExportJob.objects.get()
    assert response.status_code == 202
    assert response.json()["id"] == job.pk
    assert (job.source, job.target, job.params) == ("api", "exporttestapi:customer-list", {"status": ["banned"]})
    assert read_rows(job) == [
        ["id", "first_name", "email", "status", "conversion_agent.id", "conversion_agent.email"],
        [banned.pk, "Zed", "zed@example.com", "banned", None, None],
    ]


@pytest.mark.urls("tests.core.urls")
def test_api_export_is_scoped_and_masked_for_an_agent(api_client, django_capture_on_commit_callbacks):
    agent = staff_with_role(Role.SALES_AGENT)
    _grant(agent, "customers.export_customer")
    own = CustomerFactory(email="alice@example.com", conversion_agent=agent)
    CustomerFactory(email="bob@example.com")
    api_client.force_authenticate(agent)

    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(reverse("exporttestapi:customer-export"))

    rows = read_rows(ExportJob.objects.get())
    assert [row[:3] for row in rows[1:]] == [[own.pk, own.first_name, "a***@example.com"]]
    assert rows[1][4:] == [agent.pk, agent.email]


@pytest.mark.urls("tests.core.urls")
def test_api_export_without_the_export_permission_is_refused(api_client):
    agent = staff_with_role(Role.SALES_AGENT)
    api_client.force_authenticate(agent)

    response = api_client.post(reverse("exporttestapi:customer-export"))

    assert response.status_code == 403
    assert ExportJob.objects.count() == 0


@pytest.mark.urls("tests.core.urls")
def test_api_export_with_an_invalid_filter_answers_400(api_client):
    api_client.force_authenticate(staff_with_role(Role.COMPLIANCE))

    response = api_client.post(reverse("exporttestapi:customer-export") + "?status=nonsense")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert ExportJob.objects.count() == 0


def test_anonymous_cannot_list_exports(api_client):
    response = api_client.get(EXPORTS_URL)

    assert response.status_code in (401, 403)


def test_exports_list_shows_only_own_jobs(api_client, sales_agent):
    own = ExportJobFactory(owner=sales_agent)
    ExportJobFactory()
    api_client.force_authenticate(sales_agent)

    response = api_client.get(EXPORTS_URL)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [own.pk]


def test_another_users_export_answers_404(api_client, sales_agent):
    other = ExportJobFactory()
    api_client.force_authenticate(sales_agent)

    response = api_client.get(reverse("backoffice:exportjob-detail", args=[other.pk]))

    assert response.status_code == 404


def test_admin_role_sees_every_export(api_client, admin_staff):
    jobs = ExportJobFactory.create_batch(2)
    api_client.force_authenticate(admin_staff)

    response = api_client.get(EXPORTS_URL)

    assert sorted(row["id"] for row in response.json()["results"]) == sorted(job.pk for job in jobs)


@pytest.mark.urls("tests.core.urls")
def test_done_job_has_a_download_link_that_serves_the_file(api_client, django_capture_on_commit_callbacks):
    officer = staff_with_role(Role.COMPLIANCE)
    CustomerFactory()
    api_client.force_authenticate(officer)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = api_client.post(reverse("exporttestapi:customer-export")).json()["id"]

    detail = api_client.get(reverse("backoffice:exportjob-detail", args=[job_id])).json()
    download = api_client.get(detail["download_url"])

    assert (detail["status"], detail["percent"], detail["rows_done"], detail["rows_total"]) == ("done", 100, 1, 1)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content)[:2] == b"PK"


def test_exports_list_queries_do_not_grow_with_rows(api_client, sales_agent, django_assert_num_queries):
    ExportJobFactory.create_batch(2, owner=sales_agent)
    api_client.force_authenticate(type(sales_agent).objects.get(pk=sales_agent.pk))
    with django_assert_num_queries(3):  # permissions (user and groups: 1), COUNT, one page
        api_client.get(EXPORTS_URL)
    ExportJobFactory.create_batch(20, owner=sales_agent)
    api_client.force_authenticate(type(sales_agent).objects.get(pk=sales_agent.pk))
    with django_assert_num_queries(3):
        api_client.get(EXPORTS_URL)
