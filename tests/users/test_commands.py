"""manage.py create_api_token."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from crm.users.models import ApiToken, hash_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.users.urls")]


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_command_prints_a_working_key(api_client):
    key, message = _run("--name", "BI export", "--role", "Sales Manager", "--allow-ip", "10.0.0.0/8", "192.0.2.1")

    token = ApiToken.objects.get()
    assert token.key_hash == hash_token(key)
    assert (token.name, token.role.name, token.allowed_ips) == (
        "BI export",
        "Sales Manager",
        ["10.0.0.0/8", "192.0.2.1/32"],
    )
    assert "shown only this once" in message
    response = api_client.get("/token-probe/", HTTP_AUTHORIZATION=f"Token {key}", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert response.json()["view_all_customers"] is True


def test_command_sets_the_expiry_date():
    _run("--name", "Yearly", "--role", "Finance", "--expires", "2099-01-01")

    expected = dt.datetime(2099, 1, 1, tzinfo=timezone.get_current_timezone())
    assert ApiToken.objects.get().expires_at == expected


def test_command_refuses_a_past_expiry():
    with pytest.raises(CommandError, match="future"):
        _run("--name", "Old", "--role", "Finance", "--expires", "2001-01-01")

    assert not ApiToken.objects.exists()


def test_command_refuses_a_bad_address():
    with pytest.raises(CommandError, match="not an IP address"):
        _run("--name", "Bad", "--role", "Finance", "--allow-ip", "nope")

    assert not ApiToken.objects.exists()


def test_command_refuses_an_unknown_role():
    with pytest.raises(CommandError):
        _run("--name", "X", "--role", "Astronaut")
