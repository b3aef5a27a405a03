"""Client actions through the back-office API: agents, status, comments, bookmarks, history, ids, export."""

import pytest
from django.urls import reverse, reverse_lazy

from crm.core.models import Activity, ExportJob, OutboxEvent
from crm.customers.models import Bookmark, Customer
from crm.users.models import User
from tests.core.xlsx import read_rows
from tests.customers.factories import BookmarkFactory, CommentFactory, CustomerFactory
from tests.users.factories import StaffUserFactory

pytestmark = pytest.mark.django_db
BOOKMARKS_URL = reverse_lazy("backoffice:customer-bookmarks")


def url(name, customer):
    return reverse(f"backoffice:customer-{name}", args=[customer.pk])


def fresh(user):
    return User.objects.get(pk=user.pk)


# Agents and status ----------------------------------------------------------------------


def test_manager_assigns_agents(api_client, sales_manager, sales_agent, retention_agent):
    customer = CustomerFactory()
    api_client.force_authenticate(sales_manager)

    response = api_client.post(
        url("assign", customer), {"conversion_agent_id": sales_agent.pk, "retention_agent_id": retention_agent.pk}
    )

    assert response.status_code == 200
    assert response.json()["conversion_agent"]["id"] == sales_agent.pk
    assert response.json()["retention_agent"]["id"] == retention_agent.pk
    activity = Activity.objects.get(action="customer.agent_assigned")
    assert activity.changes == {
        "conversion_agent": [None, sales_agent.pk],
        "retention_agent": [None, retention_agent.pk],
    }


def test_assign_refuses_a_non_staff_agent(api_client, sales_manager):
    customer = CustomerFactory()
    portal_user = User.objects.create_user(email="client@example.com")
    api_client.force_authenticate(sales_manager)

    response = api_client.post(url("assign", customer), {"conversion_agent_id": portal_user.pk})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["conversion_agent_id"]
    customer.refresh_from_db()
    assert customer.conversion_agent is None


def test_assign_needs_an_agent(api_client, sales_manager):
    customer = CustomerFactory()
    api_client.force_authenticate(sales_manager)

    response = api_client.post(url("assign", customer), {})

    assert response.status_code == 400


def test_change_status_bans_a_client(api_client, compliance_officer):
    customer = CustomerFactory()
    api_client.force_authenticate(compliance_officer)

    response = api_client.post(url("change-status", customer), {"status": "banned"})

    assert response.status_code == 200
    assert response.json()["status"] == "banned"
    assert Activity.objects.get(action="customer.status_changed").changes == {"status": ["active", "banned"]}
    assert OutboxEvent.objects.filter(name="customer.status_changed").count() == 1


def test_change_status_refuses_an_unknown_status(api_client, compliance_officer):
    customer = CustomerFactory()
    api_client.force_authenticate(compliance_officer)

    response = api_client.post(url("change-status", customer), {"status": "frozen"})

    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.status == Customer.Status.ACTIVE


# Comments -------------------------------------------------------------------------------


def test_agent_comments_on_own_client(api_client, sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent)
    api_client.force_authenticate(sales_agent)

    created = api_client.post(url("comments", customer), {"body": "  Wants a call on Monday  "})
    listed = api_client.get(url("comments", customer))

    assert created.status_code == 201
    assert created.json()["body"] == "Wants a call on Monday"
    assert created.json()["author"]["id"] == sales_agent.pk
    assert [row["body"] for row in listed.json()["results"]] == ["Wants a call on Monday"]
    customer.refresh_from_db()
    assert customer.last_comment_at is not None


def test_empty_comment_is_refused(api_client, sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent)
    api_client.force_authenticate(sales_agent)

    response = api_client.post(url("comments", customer), {"body": ""})

    assert response.status_code == 400
    assert not customer.comments.exists()


def test_comments_list_queries_do_not_grow_with_rows(api_client, sales_manager, django_assert_num_queries):
    customer = CustomerFactory()
    CommentFactory.create_batch(2, customer=customer, author=sales_manager)
    api_client.force_authenticate(fresh(sales_manager))

    # permissions (user + groups: one query), client, COUNT, page with authors
    with django_assert_num_queries(4):
        api_client.get(url("comments", customer))
    CommentFactory.create_batch(30, customer=customer, author=StaffUserFactory())
    api_client.force_authenticate(fresh(sales_manager))
    with django_assert_num_queries(4):
        response = api_client.get(url("comments", customer), {"limit": 100})
    assert response.json()["count"] == 32


# Bookmarks ------------------------------------------------------------------------------


def test_bookmark_twice_keeps_one_and_delete_removes_it(api_client, sales_agent):
    customer = CustomerFactory(conversion_agent=sales_agent)
    api_client.force_authenticate(sales_agent)

    first = api_client.post(url("bookmark", customer))
    second = api_client.post(url("bookmark", customer))
    assert (first.status_code, second.status_code) == (204, 204)
    assert Bookmark.objects.filter(user=sales_agent, customer=customer).count() == 1
    assert api_client.get(url("detail", customer)).json()["is_bookmarked"] is True

    removed = api_client.delete(url("bookmark", customer))

    assert removed.status_code == 204
    assert not Bookmark.objects.exists()


def test_bookmarks_list_shows_only_the_callers_visible_bookmarks(api_client, sales_agent, other_sales_agent):
    older = CustomerFactory(conversion_agent=sales_agent)
    newer = CustomerFactory(conversion_agent=sales_agent)
    no_longer_mine = CustomerFactory(conversion_agent=other_sales_agent)
    BookmarkFactory(user=sales_agent, customer=older)
    BookmarkFactory(user=sales_agent, customer=newer)
    BookmarkFactory(user=sales_agent, customer=no_longer_mine)
    BookmarkFactory(user=other_sales_agent, customer=no_longer_mine)
    CustomerFactory(conversion_agent=sales_agent)
    api_client.force_authenticate(sales_agent)

    response = api_client.get(BOOKMARKS_URL)

    assert [row["id"] for row in response.json()["results"]] == [newer.pk, older.pk]


def test_bookmarks_list_queries_do_not_grow_with_rows(api_client, sales_manager, django_assert_num_queries):
    for customer in CustomerFactory.create_batch(2):
        BookmarkFactory(user=sales_manager, customer=customer)
    api_client.force_authenticate(fresh(sales_manager))

    # permissions (user + groups: one query), COUNT, page, roles, groups
    with django_assert_num_queries(5):
        api_client.get(BOOKMARKS_URL)
    for customer in CustomerFactory.create_batch(30):
        BookmarkFactory(user=sales_manager, customer=customer)
    api_client.force_authenticate(fresh(sales_manager))
    with django_assert_num_queries(5):
        response = api_client.get(BOOKMARKS_URL, {"limit": 100})
    assert response.json()["count"] == 32


# History and ids ------------------------------------------------------------------------


def test_history_shows_changes_newest_first(api_client, compliance_officer):
    customer = CustomerFactory(city="Leeds")
    api_client.force_authenticate(compliance_officer)
    api_client.patch(url("detail", customer), {"city": "York"})
    api_client.post(url("change-status", customer), {"status": "inactive"})

    rows = api_client.get(url("history", customer)).json()["results"]

    assert [(row["action"], row["changes"]) for row in rows] == [
        ("customer.status_changed", {"status": ["active", "inactive"]}),
        ("customer.updated", {"city": ["Leeds", "York"]}),
    ]
    assert rows[0]["actor"]["id"] == compliance_officer.pk
    assert rows[0]["channel"] == "api"


def test_history_queries_do_not_grow_with_rows(api_client, compliance_officer, django_assert_num_queries):
    customer = CustomerFactory()
    for city in ("A", "B"):
        api_client.force_authenticate(compliance_officer)
        api_client.patch(url("detail", customer), {"city": city})
    api_client.force_authenticate(fresh(compliance_officer))
    api_client.get(url("history", customer))  # caches the content type

    api_client.force_authenticate(fresh(compliance_officer))
    # permissions (user + groups: one query), client, COUNT, page with actors
    with django_assert_num_queries(4):
        api_client.get(url("history", customer))
    for index in range(30):
        api_client.patch(url("detail", customer), {"city": f"City {index}"})
    api_client.force_authenticate(fresh(compliance_officer))
    with django_assert_num_queries(4):
        response = api_client.get(url("history", customer), {"limit": 100})
    assert response.json()["count"] == 32


def test_ids_are_scoped_to_the_caller(api_client, sales_agent, other_sales_agent):
    own = CustomerFactory(conversion_agent=sales_agent)
    CustomerFactory(conversion_agent=other_sales_agent)
    api_client.force_authenticate(sales_agent)

    response = api_client.get(reverse("backoffice:customer-ids"))

    assert response.json() == {"ids": [own.pk]}


# Export ---------------------------------------------------------------------------------


def test_export_writes_the_filtered_rows_masked_for_the_caller(
    api_client, sales_manager, django_capture_on_commit_callbacks
):
    german = CustomerFactory(country="DE", email="hans@example.com")
    CustomerFactory(country="FR")
    api_client.force_authenticate(sales_manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"{reverse('backoffice:customer-export')}?country=DE")

    assert response.status_code == 202
    job = ExportJob.objects.get()
    assert (job.owner, job.target, job.params) == (sales_manager, "backoffice:customer-list", {"country": ["DE"]})
    header, *rows = read_rows(job)
    assert header[:6] == ["id", "first_name", "last_name", "full_name", "email", "phone"]
    assert [(row[0], row[4]) for row in rows] == [(german.pk, "h***@*******.com")]
