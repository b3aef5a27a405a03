"""API tokens in the admin: generate (key shown once), edit the allow-list only, delete for good."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from crm.core.models import Activity
from crm.core.roles import Role
from crm.users.models import ApiToken, User, hash_token
from tests.users.factories import ApiTokenFactory, StaffUserFactory, role

pytestmark = pytest.mark.django_db
ADD_URL = reverse("admin:users_apitoken_add")
LIST_URL = reverse("admin:users_apitoken_changelist")


def _change_url(token):
    return reverse("admin:users_apitoken_change", args=[token.pk])


def _add(client, **overrides):
    data = {"name": "BI export", "role": role(Role.SALES_MANAGER).pk, "allowed_ips": "10.0.0.0/8\n192.0.2.1"}
    data.update(overrides)
    return client.post(ADD_URL, data)


def test_generating_a_token_shows_its_key_once(admin_client):
    response = _add(admin_client)

    assert response.status_code == 200
    token = ApiToken.objects.get()
    raw_key = response.context["raw_key"]
    assert raw_key in response.content.decode()
    assert token.key_hash == hash_token(raw_key)
    assert token.key_prefix == raw_key[:8]
    assert "no-store" in response["Cache-Control"]


def test_key_is_not_stored_or_shown_again(admin_client):
    raw_key = _add(admin_client).context["raw_key"]
    token = ApiToken.objects.get()

    change_page = admin_client.get(_change_url(token)).content.decode()
    list_page = admin_client.get(LIST_URL).content.decode()

    assert raw_key not in change_page
    assert raw_key not in list_page
    assert token.key_prefix in list_page
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert all(raw_key not in value for value in stored)
    assert not Activity.objects.filter(data__icontains=raw_key).exists()


def test_generated_token_has_the_fields_asked(admin_client, admin_user):
    expires = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)

    _add(admin_client, expires_at_0=expires.strftime("%Y-%m-%d"), expires_at_1=expires.strftime("%H:%M:%S"))

    token = ApiToken.objects.select_related("user").get()
    assert (token.name, token.role.name, token.expires_at) == ("BI export", "Sales Manager", expires)
    assert token.allowed_ips == ["10.0.0.0/8", "192.0.2.1/32"]
    assert token.created_by == admin_user
    assert list(token.user.groups.values_list("name", flat=True)) == ["Sales Manager"]
    assert token.user.is_service_account
    assert not token.user.has_usable_password()


def test_expiry_in_the_past_is_refused(admin_client):
    past = timezone.now() - dt.timedelta(days=1)

    response = _add(admin_client, expires_at_0=past.strftime("%Y-%m-%d"), expires_at_1="00:00:00")

    assert response.status_code == 200
    assert "expires_at" in response.context["adminform"].form.errors
    assert not ApiToken.objects.exists()


def test_invalid_allow_list_is_refused(admin_client):
    response = _add(admin_client, allowed_ips="10.0.0.0/8\nnot-an-ip")

    assert "allowed_ips" in response.context["adminform"].form.errors
    assert not ApiToken.objects.exists()


def test_staff_cannot_give_a_token_more_than_their_own_permissions(client):
    manager = StaffUserFactory(roles=[Role.SALES_MANAGER])
    manager.user_permissions.add(*Permission.objects.filter(codename__in=["add_apitoken", "view_apitoken"]))
    client.force_login(manager)

    response = _add(client, role=role(Role.ADMIN).pk)

    assert "role" in response.context["adminform"].form.errors
    assert not ApiToken.objects.exists()


def test_change_page_edits_only_the_allow_list(admin_client):
    token = ApiTokenFactory(name="Original", allowed_ips=["10.0.0.0/8"])
    other_role = role(Role.ADMIN)

    response = admin_client.post(
        _change_url(token),
        {"allowed_ips": "172.16.0.0/12", "name": "Renamed", "role": other_role.pk, "expires_at_0": "2030-01-01"},
    )

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.allowed_ips == ["172.16.0.0/12"]
    assert (token.name, token.role.name, token.expires_at) == ("Original", "Sales Manager", None)
    assert Activity.objects.filter(action="api_token.allowed_ips_changed", target_id=str(token.pk)).count() == 1


def test_change_page_shows_other_fields_read_only(admin_client):
    token = ApiTokenFactory()

    form = admin_client.get(_change_url(token)).context["adminform"].form

    assert list(form.fields) == ["allowed_ips"]


def test_deleting_a_token_is_final(admin_client):
    token = ApiTokenFactory()
    service_user = token.user

    response = admin_client.post(reverse("admin:users_apitoken_delete", args=[token.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    service_user.refresh_from_db()
    assert not service_user.is_active
    assert not service_user.groups.exists()
    assert Activity.objects.filter(action="api_token.deleted", target_id=str(token.pk)).count() == 1


def test_bulk_delete_goes_through_the_service(admin_client):
    tokens = ApiTokenFactory.create_batch(2)

    admin_client.post(
        LIST_URL, {"action": "delete_selected", "_selected_action": [t.pk for t in tokens], "post": "yes"}
    )

    assert not ApiToken.objects.exists()
    assert User.objects.filter(is_service_account=True, is_active=True).count() == 0


def test_token_list_shows_expiry_and_last_use(admin_client):
    token = ApiTokenFactory(expires_at=timezone.now() + dt.timedelta(days=1))
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=1), last_used_ip="198.51.100.7"
    )

    response = admin_client.get(LIST_URL)

    assert response.status_code == 200
    content = response.content.decode()
    assert "198.51.100.7" in content
    assert f"{token.key_prefix}…" in content


def test_token_changelist_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries, django_assert_max_num_queries
):
    ApiTokenFactory.create_batch(2)
    admin_client.get(LIST_URL)
    with django_assert_max_num_queries(50) as small:
        admin_client.get(LIST_URL)
    ApiTokenFactory.create_batch(10, role=role(Role.FINANCE))

    with django_assert_num_queries(len(small.captured_queries)):
        admin_client.get(LIST_URL)
