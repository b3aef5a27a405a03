"""The session engine reads a session as Django's database sessions read it (crm/users/sessions.py)."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.users.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_session_loads_what_django_loads():
    saved = DjangoSessionStore()
    saved.update({"_auth_user_id": "7", "language": "es", "nested": {"a": [1, 2]}})
    saved.create()

    ours = SessionStore(saved.session_key)
    with CaptureQueriesContext(connection) as queries:
        data = ours.load()

    assert len(queries) == 1
    assert (
        data
        == DjangoSessionStore(saved.session_key).load()
        == {
            "_auth_user_id": "7",
            "language": "es",
            "nested": {"a": [1, 2]},
        }
    )
    assert ours.session_key == saved.session_key


def test_an_expired_or_unknown_session_loads_nothing_and_loses_its_key():
    saved = DjangoSessionStore()
    saved["x"] = 1
    saved.create()
    Session.objects.filter(session_key=saved.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))

    for key in (saved.session_key, "x" * 32):
        ours, djangos = SessionStore(key), DjangoSessionStore(key)
        assert ours.load() == djangos.load() == {}
        assert ours.session_key is None is djangos.session_key


def test_a_staff_session_works_across_requests(client, admin_staff):
    client.force_login(admin_staff)

    assert client.get(reverse("admin:index")).status_code == 200
    client.logout()
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_session_opened_with_djangos_model_backend_stays_logged_in(client, admin_staff):
    from django.contrib.auth import BACKEND_SESSION_KEY

    client.force_login(admin_staff)
    session = client.session
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"  # as a login before UserBackend
    session.save()

    assert client.get(reverse("admin:index")).status_code == 200
    assert SessionStore(session.session_key).load()[BACKEND_SESSION_KEY] == "crm.users.backends.UserBackend"
