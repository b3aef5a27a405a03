"""A new client's first wallet: staff choose its platform and group (API and admin), sign-up opens it."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.core.models import Setting
from crm.core.roles import Role
from crm.customers.models import Country, Customer
from crm.wallets import services
from crm.wallets.events import open_default_wallet_of_new_client
from crm.wallets.models import Wallet
from tests.conftest import staff_with_role
from tests.customers.factories import PortalCustomerFactory
from tests.customers.portal import PASSWORD
from tests.wallets.factories import AccountGroupFactory, CurrencyFactory, PlatformFactory

pytestmark = pytest.mark.django_db
SETTINGS_URL = reverse("backoffice:wallet-settings-default-wallet")
SIGN_UP = reverse("portal:auth-sign-up")


@pytest.fixture
def live_group(db):
    return AccountGroupFactory(
        name="Standard USD", platform=PlatformFactory(name="NEO"), currency=CurrencyFactory(code="USD")
    )


def _sign_up(api_client, django_capture_on_commit_callbacks, email="jane@example.com"):
    Country.objects.get_or_create(code="GB", defaults={"is_enabled": True})
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            SIGN_UP, {"form": "real", "email": email, "password": PASSWORD, "first_name": "Jane", "country": "GB"}
        )
    assert response.status_code == 201
    return response.json()


def test_sign_up_opens_the_default_wallet_in_the_configured_group(
    api_client, admin_staff, live_group, django_capture_on_commit_callbacks
):
    services.configure_default_wallet(platform=live_group.platform, group=live_group, actor=admin_staff)

    session = _sign_up(api_client, django_capture_on_commit_callbacks)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {session['access']}")
    wallets = api_client.get(reverse("portal:wallet-list")).json()["results"]

    wallet = Wallet.objects.get(customer__email="jane@example.com")
    assert (wallet.group, wallet.platform, wallet.currency_id, wallet.is_demo) == (
        live_group,
        live_group.platform,
        "USD",
        False,
    )
    assert wallet.leverage == live_group.default_leverage
    assert [row["id"] for row in wallets] == [wallet.pk]


def test_a_demo_group_opens_a_demo_wallet_with_its_start_amount(
    api_client, admin_staff, django_capture_on_commit_callbacks
):
    group = AccountGroupFactory(name="Demo USD", is_demo=True, demo_start_amounts=["10000"])
    services.configure_default_wallet(platform=group.platform, group=group, actor=admin_staff)

    _sign_up(api_client, django_capture_on_commit_callbacks)

    wallet = Wallet.objects.get(customer__email="jane@example.com")
    assert (wallet.is_demo, wallet.balance) == (True, Decimal("10000"))


def test_without_a_configured_default_sign_up_opens_no_wallet(api_client, django_capture_on_commit_callbacks):
    _sign_up(api_client, django_capture_on_commit_callbacks)

    assert Customer.objects.filter(email="jane@example.com").exists()
    assert not Wallet.objects.exists()


def test_a_disabled_default_group_opens_no_wallet(
    api_client, admin_staff, live_group, django_capture_on_commit_callbacks
):
    services.configure_default_wallet(platform=live_group.platform, group=live_group, actor=admin_staff)
    live_group.is_enabled = False
    live_group.save()

    _sign_up(api_client, django_capture_on_commit_callbacks)

    assert not Wallet.objects.exists()


def test_handling_the_sign_up_event_twice_opens_one_wallet(admin_staff, live_group):
    services.configure_default_wallet(platform=live_group.platform, group=live_group, actor=admin_staff)
    customer = PortalCustomerFactory()
    event = type("Event", (), {"payload": {"customer_id": customer.pk}})()

    open_default_wallet_of_new_client(event)
    open_default_wallet_of_new_client(event)

    assert Wallet.objects.filter(customer=customer).count() == 1


def test_staff_configure_the_default_wallet_through_the_api(api_client, admin_staff, live_group):
    api_client.force_authenticate(admin_staff)

    before = api_client.get(SETTINGS_URL)
    response = api_client.put(SETTINGS_URL, {"platform": "NEO", "group": "Standard USD"})

    assert before.json() == {"platform": None, "group": None}
    assert response.status_code == 200
    assert response.json() == {"platform": "NEO", "group": "Standard USD"}
    assert services.default_wallet_group() == live_group


@pytest.mark.parametrize(
    ("body", "field", "_case"),
    [
        ({"platform": "PRO", "group": "Standard USD"}, "group", "group of another platform"),
        ({"platform": "NEO", "group": "No such group"}, "group", "unknown group"),
        ({"platform": "NEO"}, "group", "no group"),
    ],
)
def test_a_wrong_default_is_refused_and_changes_nothing(api_client, admin_staff, live_group, body, field, _case):
    PlatformFactory(name="PRO", type="PRO")
    api_client.force_authenticate(admin_staff)

    response = api_client.put(SETTINGS_URL, body)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Setting.objects.filter(key__startswith="wallets.default_").exists()


def test_staff_without_the_settings_permission_cannot_configure_it(api_client, live_group):
    api_client.force_authenticate(staff_with_role(Role.SALES_AGENT))

    response = api_client.put(SETTINGS_URL, {"platform": "NEO", "group": "Standard USD"})

    assert response.status_code == 403
    assert services.default_wallet_group() is None


def test_staff_choose_the_default_group_in_the_admin(client, admin_staff, live_group):
    client.force_login(admin_staff)
    url = reverse("admin:wallets_accountgroup_changelist")

    response = client.post(url, {"action": "make_sign_up_default", "_selected_action": [live_group.pk]}, follow=True)

    assert response.status_code == 200
    assert services.default_wallet_group() == live_group
    assert "New clients get their first wallet in Standard USD." in response.content.decode()


def test_the_admin_refuses_more_than_one_group(client, admin_staff, live_group):
    other = AccountGroupFactory(platform=live_group.platform, currency=live_group.currency)
    client.force_login(admin_staff)
    url = reverse("admin:wallets_accountgroup_changelist")

    response = client.post(url, {"action": "make_sign_up_default", "_selected_action": [live_group.pk, other.pk]})

    assert response.status_code == 302
    assert services.default_wallet_group() is None


def test_account_group_changelist_queries_are_flat(client, admin_staff, live_group):
    services.configure_default_wallet(platform=live_group.platform, group=live_group, actor=admin_staff)
    client.force_login(admin_staff)
    url = reverse("admin:wallets_accountgroup_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    AccountGroupFactory.create_batch(6, platform=live_group.platform, currency=live_group.currency)
    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert response.status_code == 200
    assert len(many) == len(few)
