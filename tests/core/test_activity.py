import pytest
from django.urls import reverse

from crm.core.models import Activity
from crm.core.tasks import run_export_task
from tests.core.factories import ActivityFactory, ExportJobFactory

pytestmark = pytest.mark.django_db
ACTIVITY_CHANGELIST = reverse("admin:core_activity_changelist")


def test_admin_request_records_ip_and_channel(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:core_setting_add"),
        {"key": "site_banner", "value_type": "string", "value": "Hello", "description": ""},
        REMOTE_ADDR="203.0.113.7",
    )

    activity = Activity.objects.get(action="setting.changed")
    assert response.status_code == 302
    assert (activity.actor, activity.channel, activity.ip_address) == (admin_user, "admin", "203.0.113.7")
    assert activity.target_repr == "site_banner"


@pytest.mark.urls("tests.core.urls")
def test_api_request_records_ip_and_the_api_channel(api_client, compliance_officer):
    api_client.force_authenticate(compliance_officer)

    response = api_client.post(reverse("exporttestapi:customer-export"), REMOTE_ADDR="198.51.100.1")

    activity = Activity.objects.get(action="export.requested")
    assert response.status_code == 202
    assert (activity.actor, activity.channel, activity.ip_address) == (compliance_officer, "api", "198.51.100.1")


def test_task_records_the_task_channel(admin_user):
    job = ExportJobFactory(owner=admin_user)

    run_export_task(job.pk)

    activity = Activity.objects.get(action="export.completed")
    assert (activity.channel, activity.actor_repr, activity.ip_address) == (
        "task:run_export_task",
        str(admin_user),
        None,
    )


def test_activity_admin_filters_by_action_and_searches_by_target(admin_client):
    ActivityFactory(action="login", target_repr="#1 Alice")
    ActivityFactory(action="login", target_repr="#2 Bob")
    ActivityFactory(action="logout", target_repr="#3 Alice")

    response = admin_client.get(ACTIVITY_CHANGELIST, {"action": "login", "q": "Alice"})

    assert response.status_code == 200
    assert [row.target_repr for row in response.context["cl"].result_list] == ["#1 Alice"]


def test_activity_admin_is_read_only(admin_client):
    activity = ActivityFactory()

    add = admin_client.get(reverse("admin:core_activity_add"))
    delete = admin_client.post(reverse("admin:core_activity_delete", args=[activity.pk]), {"post": "yes"})

    assert (add.status_code, delete.status_code) == (403, 403)
    assert Activity.objects.filter(pk=activity.pk).exists()


def test_activity_changelist_queries_do_not_grow_with_rows(admin_client, django_assert_max_num_queries):
    ActivityFactory.create_batch(2)
    admin_client.get(ACTIVITY_CHANGELIST)  # warm the session and content-type caches
    with django_assert_max_num_queries(8) as small:
        admin_client.get(ACTIVITY_CHANGELIST)
    ActivityFactory.create_batch(40)
    with django_assert_max_num_queries(8) as large:
        admin_client.get(ACTIVITY_CHANGELIST)

    assert len(large.captured_queries) == len(small.captured_queries)
