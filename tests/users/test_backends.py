"""The authentication backend reads a user's permissions in one query, the set Django's ModelBackend reads."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.core.roles import Role
from crm.users.backends import UserBackend
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db


def _fresh(user):
    return type(user).objects.get(pk=user.pk)  # no permission cache


def _users():
    own = UserFactory(is_staff=True)
    own.user_permissions.add(Permission.objects.get(codename="view_quote"))
    grouped = UserFactory(is_staff=True)
    grouped.groups.add(Group.objects.get(name=Role.SALES_AGENT))
    both = UserFactory(is_staff=True)
    both.groups.add(Group.objects.get(name=Role.SALES_MANAGER), Group.objects.get(name=Role.FINANCE))
    both.user_permissions.add(
        Permission.objects.get(codename="view_quote"), Permission.objects.get(codename="view_lead")
    )
    inactive = UserFactory(is_staff=True, is_active=False)
    inactive.groups.add(Group.objects.get(name=Role.SALES_MANAGER))
    superuser = UserFactory(is_staff=True, is_superuser=True)
    return [own, grouped, both, inactive, superuser, UserFactory()]


def test_permissions_are_the_set_django_reads():
    for user in _users():
        ours = UserBackend().get_all_permissions(_fresh(user))
        djangos = ModelBackend().get_all_permissions(_fresh(user))
        assert ours == djangos, user.email
        for perm in ("sales.view_lead", "trading.view_quote", "wallets.view_transaction", "users.view_user"):
            assert UserBackend().has_perm(_fresh(user), perm) == ModelBackend().has_perm(_fresh(user), perm)
    assert UserBackend().get_all_permissions(AnonymousUser()) == set()
    both = _users()[2]
    assert {"trading.view_quote", "sales.view_lead"} <= UserBackend().get_all_permissions(_fresh(both))


def test_permissions_are_read_in_one_query_and_kept_for_the_request():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=Role.SALES_MANAGER))
    user = _fresh(user)

    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm("sales.view_lead")
        assert not user.has_perm("users.add_user")
        user.get_all_permissions()

    assert len(queries) == 1


def test_a_changed_membership_shows_on_the_next_request():
    user = UserFactory(is_staff=True)
    assert not _fresh(user).has_perm("sales.view_lead")

    group = Group.objects.get(name=Role.SALES_AGENT)
    user.groups.add(group)
    assert _fresh(user).has_perm("sales.view_lead")

    group.permissions.remove(Permission.objects.get(codename="view_lead", content_type__app_label="sales"))
    assert not _fresh(user).has_perm("sales.view_lead")


def test_the_sessions_user_is_the_row_django_reads():
    from django.forms.models import model_to_dict

    active = UserFactory(is_staff=True, language="es", time_zone="Europe/Madrid")
    inactive = UserFactory(is_staff=True, is_active=False)

    with CaptureQueriesContext(connection) as queries:
        ours = UserBackend().get_user(active.pk)
    djangos = ModelBackend().get_user(active.pk)

    assert len(queries) == 1
    assert type(ours) is type(djangos)
    assert ours.pk == djangos.pk
    fields = [field.attname for field in type(ours)._meta.concrete_fields]
    assert {name: getattr(ours, name) for name in fields} == {name: getattr(djangos, name) for name in fields}
    assert model_to_dict(ours) == model_to_dict(djangos)
    assert not ours._state.adding
    assert ours._state.db == djangos._state.db
    assert UserBackend().get_user(inactive.pk) is None is ModelBackend().get_user(inactive.pk)
    assert UserBackend().get_user(inactive.pk + 1000) is None


def test_a_default_manager_that_filters_is_asked_as_django_asks_it(monkeypatch):
    from crm.users import backends

    user = UserFactory(is_staff=True)
    assert backends._reads_every_row(type(user)._meta.label)  # the project's user manager filters nothing
    monkeypatch.setattr(backends, "_reads_every_row", lambda label: False)
    asked = []
    monkeypatch.setattr(ModelBackend, "get_user", lambda self, user_id: asked.append(user_id) or "django's")

    assert UserBackend().get_user(user.pk) == "django's"
    assert asked == [user.pk]
