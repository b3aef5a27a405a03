"""The portal journey through the Python client openapi-python-client generates from the schema, unchanged, against
a live server: sign up, confirm the email, log in, find the default wallet, deposit (paying at the sandbox PSP's
checkout page), withdraw, and read the transactions.

The client is generated once per session (`python_client` in conftest.py); the server runs in a thread on committed
data, so the test is transactional and restores the rows of the data migrations first.
"""

from __future__ import annotations

import importlib
import io
import re
import sys
from decimal import Decimal
from urllib.parse import urlsplit

import httpx
import pytest
from django.core.management import call_command

from crm.wallets import services as wallet_services
from tests.customers.portal import token_in
from tests.harness.fuzz_world import restore_migration_rows
from tests.users.factories import StaffUserFactory
from tests.wallets.factories import AccountGroupFactory, CurrencyFactory, PlatformFactory

pytestmark = pytest.mark.django_db(transaction=True)
EMAIL = "jane.portal@example.com"
PASSWORD = "a long enough passphrase 42"


@pytest.fixture
def broker(settings, live_server):
    """A broker on its first day: sandbox payments, a live USD group new clients get their first wallet in."""
    restore_migration_rows()
    settings.SITE_URL = live_server.url  # links built outside a request (the sandbox checkout) point here
    call_command("setup_sandbox_payments", stdout=io.StringIO())
    group = AccountGroupFactory(
        name="Standard USD", platform=PlatformFactory(name="NEO"), currency=CurrencyFactory(code="USD")
    )
    wallet_services.configure_default_wallet(platform=group.platform, group=group, actor=StaffUserFactory())
    return group


@pytest.fixture
def client_package(python_client):
    """The generated package `crm_api_client`, importable for this test."""
    sys.path.insert(0, str(python_client))
    try:
        yield importlib.import_module("crm_api_client")
    finally:
        sys.path.remove(str(python_client))


def _call(module, **kwargs):
    """`sync_detailed` of a generated operation; the parsed answer when it succeeded."""
    response = module.sync_detailed(**kwargs)
    assert response.status_code < 300, (module.__name__, response.status_code, response.content[:500])
    return response.parsed


def _pay_at_the_checkout(checkout_url: str, base_url: str) -> None:
    """What the client does in the browser at the sandbox PSP: open the page, press Pay."""
    with httpx.Client(base_url=base_url) as browser:
        page = browser.get(urlsplit(checkout_url).path)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        paid = browser.post(urlsplit(checkout_url).path, data={"csrfmiddlewaretoken": csrf, "outcome": "pay"})
    assert paid.status_code == 200


def test_portal_journey_through_the_generated_python_client(broker, client_package, live_server, mailoutbox):
    api = client_package
    models = importlib.import_module("crm_api_client.models")
    auth = importlib.import_module("crm_api_client.api.portal_auth")
    wallets = importlib.import_module("crm_api_client.api.portal_wallets")
    payments = importlib.import_module("crm_api_client.api.portal_payments")
    for name in ("portal_auth_sign_up_create", "portal_auth_email_verify_create", "portal_auth_log_in_create"):
        importlib.import_module(f"{auth.__name__}.{name}")
    for name in ("portal_wallets_list", "portal_transactions_list"):
        importlib.import_module(f"{wallets.__name__}.{name}")
    for name in ("portal_payment_methods_list", "portal_deposits_create", "portal_withdrawals_create"):
        importlib.import_module(f"{payments.__name__}.{name}")
    anonymous = api.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    signed_up = _call(
        auth.portal_auth_sign_up_create,
        client=anonymous,
        body=models.SignUpInputRequest(form=models.FormEnum.REAL, email=EMAIL, password=PASSWORD, first_name="Jane"),
    )
    confirmed = _call(
        auth.portal_auth_email_verify_create,
        client=anonymous,
        body=models.TokenInputRequest(token=token_in(mailoutbox[-1].body)),
    )
    session = _call(
        auth.portal_auth_log_in_create, client=anonymous, body=models.LogInInputRequest(email=EMAIL, password=PASSWORD)
    )
    client = api.AuthenticatedClient(base_url=live_server.url, token=session.access, raise_on_unexpected_status=True)
    wallet = _call(wallets.portal_wallets_list, client=client).results[0]
    card, payout = (
        _call(payments.portal_payment_methods_list, client=client, type_=direction, currency=wallet.currency)[0]
        for direction in (models.PaymentDirectionEnum.DEPOSIT, models.PaymentDirectionEnum.WITHDRAWAL)
    )
    deposit = _call(
        payments.portal_deposits_create,
        client=client,
        body=models.DepositCreateRequest(method=card.id, wallet=wallet.id, amount="100.00"),
    )
    _pay_at_the_checkout(deposit.checkout_url, live_server.url)
    withdrawal = _call(
        payments.portal_withdrawals_create,
        client=client,
        body=models.WithdrawalCreateRequest(method=payout.id, wallet=wallet.id, amount="40.00"),
    )
    transactions = _call(wallets.portal_transactions_list, client=client, wallet_id=wallet.id)
    after = _call(wallets.portal_wallets_list, client=client).results[0]

    assert signed_up.customer.email == EMAIL
    assert confirmed.success is True
    assert (wallet.currency, wallet.group_name, wallet.platform_name) == ("USD", "Standard USD", "NEO")
    assert withdrawal.status == models.TransactionStatusEnum.PENDING
    assert sorted((str(t.type_), str(t.status), Decimal(t.amount)) for t in transactions.results) == [
        ("DEPOSIT", "completed", Decimal("100")),
        ("WITHDRAWAL", "pending", Decimal("40")),
    ]
    assert (Decimal(after.balance), Decimal(after.on_hold)) == (Decimal("60"), Decimal("40"))
