from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.core import crypto
from crm.core.models import Activity, Setting
from crm.core.services import get_setting, set_setting

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value_type", "value", "expected"),
    [
        ("string", "hello", "hello"),
        ("integer", "42", 42),
        ("decimal", "0.10", Decimal("0.10")),
        ("boolean", True, True),
        ("boolean", "no", False),
        ("json", {"a": [1, 2]}, {"a": [1, 2]}),
    ],
    ids=["string_case", "integer_case", "decimal_case", "bool_case", "bool_text_case", "json_case"],
)
def test_setting_returns_its_typed_value(value_type, value, expected):
    set_setting("some_key", value, value_type=value_type)

    assert get_setting("some_key") == expected


def test_bad_value_is_refused_and_nothing_is_saved():
    set_setting("limit", 5, value_type="integer")

    with pytest.raises(ValidationError):
        set_setting("limit", "five")

    assert get_setting("limit") == 5
    assert Setting.objects.get(key="limit").stored_value == "5"


def test_changed_setting_is_not_served_from_a_stale_cache(django_capture_on_commit_callbacks):
    set_setting("fee", "1.5", value_type="decimal")
    assert get_setting("fee") == Decimal("1.5")

    with django_capture_on_commit_callbacks(execute=True):
        set_setting("fee", "2.5")

    assert get_setting("fee") == Decimal("2.5")


def test_secret_is_encrypted_in_the_database_column():
    set_setting("psp_api_key", "sk_live_12345", is_secret=True)

    stored = Setting.objects.values_list("stored_value", flat=True).get(key="psp_api_key")
    assert "sk_live_12345" not in stored
    assert crypto.decrypt(stored) == "sk_live_12345"
    assert get_setting("psp_api_key") == "sk_live_12345"


def test_secret_never_reaches_the_activity_log():
    set_setting("psp_api_key", "sk_live_12345", is_secret=True)

    activity = Activity.objects.get(action="setting.changed")
    assert "sk_live_12345" not in str(activity.data)
    assert activity.data == {"key": "psp_api_key", "value": "********"}


def test_secret_is_never_shown_in_the_admin(admin_client):
    setting = set_setting("psp_api_key", "sk_live_12345", is_secret=True)

    changelist = admin_client.get(reverse("admin:core_setting_changelist"))
    change_page = admin_client.get(reverse("admin:core_setting_change", args=[setting.pk]))

    assert changelist.status_code == change_page.status_code == 200
    assert "•••" in changelist.text
    for response in (changelist, change_page):
        assert "sk_live_12345" not in response.text
        assert setting.stored_value not in response.text


def test_admin_saves_a_new_secret_through_the_settings_store(admin_client, admin_user):
    setting = set_setting("psp_api_key", "old-secret", is_secret=True)

    response = admin_client.post(
        reverse("admin:core_setting_change", args=[setting.pk]),
        {"value_type": "string", "is_secret": "on", "value": "new-secret", "description": ""},
    )

    assert response.status_code == 302
    assert get_setting("psp_api_key") == "new-secret"
    assert Activity.objects.filter(action="setting.changed", actor=admin_user).count() == 1


def test_admin_keeps_the_secret_when_the_value_is_left_empty(admin_client):
    setting = set_setting("psp_api_key", "kept-secret", is_secret=True)

    admin_client.post(
        reverse("admin:core_setting_change", args=[setting.pk]),
        {"value_type": "string", "is_secret": "on", "value": "", "description": "PSP key"},
    )

    setting.refresh_from_db()
    assert (get_setting("psp_api_key"), setting.description) == ("kept-secret", "PSP key")


def test_admin_refuses_a_value_of_the_wrong_type(admin_client):
    setting = set_setting("retries", 3, value_type="integer")

    response = admin_client.post(
        reverse("admin:core_setting_change", args=[setting.pk]),
        {"value_type": "integer", "value": "three", "description": ""},
    )

    assert response.status_code == 200
    assert "Not a valid integer." in response.text
    assert get_setting("retries") == 3


def test_dotted_keys_are_accepted_and_malformed_keys_refused():
    set_setting("sumsub.app_token", "tok", is_secret=True)

    with pytest.raises(ValidationError):
        set_setting("Bad Key!", "x")

    assert get_setting("sumsub.app_token") == "tok"
    assert not Setting.objects.filter(key="Bad Key!").exists()
