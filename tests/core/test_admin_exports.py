import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from tests.core.factories import ExportJobFactory

pytestmark = pytest.mark.django_db
EXPORTS_CHANGELIST = reverse("admin:core_exportjob_changelist")


def test_agent_sees_only_own_jobs_in_the_admin(client, sales_agent):
    own = ExportJobFactory(owner=sales_agent, description="My clients")
    other = ExportJobFactory(description="Someone else's")
    client.force_login(sales_agent)

    response = client.get(EXPORTS_CHANGELIST)
    detail = client.get(reverse("admin:core_exportjob_change", args=[other.pk]))

    assert response.status_code == 200
    assert [job.pk for job in response.context["cl"].result_list] == [own.pk]
    assert detail.status_code == 302  # the admin's "does not exist" redirect


def test_done_job_page_shows_progress_and_a_download_link(client, sales_agent):
    job = ExportJobFactory(owner=sales_agent, status="done", rows_done=10, rows_total=10)
    job.file.save("clients.xlsx", ContentFile(b"PK"), save=True)
    client.force_login(sales_agent)

    response = client.get(reverse("admin:core_exportjob_change", args=[job.pk]))

    assert response.status_code == 200
    assert "100% · 10 / 10" in response.text
    assert "/files/" in response.text
    assert 'http-equiv="refresh"' not in response.text


def test_running_job_page_refreshes_itself(client, sales_agent):
    job = ExportJobFactory(owner=sales_agent, status="running", rows_done=250, rows_total=1000)
    client.force_login(sales_agent)

    response = client.get(reverse("admin:core_exportjob_change", args=[job.pk]))

    assert "25% · 250 / 1,000" in response.text
    assert 'http-equiv="refresh"' in response.text


def test_export_jobs_changelist_queries_do_not_grow_with_rows(admin_client, admin_user, django_assert_max_num_queries):
    ExportJobFactory.create_batch(2, owner=admin_user)
    admin_client.get(EXPORTS_CHANGELIST)
    with django_assert_max_num_queries(10) as small:
        admin_client.get(EXPORTS_CHANGELIST)
    ExportJobFactory.create_batch(30)
    with django_assert_max_num_queries(10) as large:
        admin_client.get(EXPORTS_CHANGELIST)

    assert len(large.captured_queries) == len(small.captured_queries)
