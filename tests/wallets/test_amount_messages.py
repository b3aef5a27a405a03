"""Issue 11, finding 7: amounts in messages read as money ("has 0.00 USD"), never "has 0E-8 USD".

Every message, email and admin page that shows an amount goes through `crm.core.money.format_money`: the
currency's minor units, thousands grouped, no exponent.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.core.services import set_setting
from tests.affiliates.api_factories import log_in, portal_affiliate
from tests.affiliates.factories import CommissionLedgerFactory, PayoutWalletFactory
from tests.wallets.factories import WalletFactory
from tests.wallets.helpers import admin_statement_period, fund

pytestmark = pytest.mark.django_db
TRANSFERS = reverse("portal:transfer-list")


def _transfer(portal_client, source, target, amount):
    return portal_client.post(TRANSFERS, {"source_wallet": source.pk, "target_wallet": target.pk, "amount": amount})


def test_an_empty_wallet_has_0_00_not_0e_8(portal_client, customer):
    source, target = WalletFactory(customer=customer), WalletFactory(customer=customer)

    response = _transfer(portal_client, source, target, "1")

    message = response.json()["error"]["message"]
    assert response.status_code == 400
    assert message == f"Wallet {source.number} has 0.00 USD (balance); it cannot go below zero."


def test_large_balances_are_grouped_with_the_minor_units(portal_client, customer):
    source = fund(WalletFactory(customer=customer), "1234.5")
    target = WalletFactory(customer=customer)

    response = _transfer(portal_client, source, target, "2000")

    assert "has 1,234.50 USD" in response.json()["error"]["message"]


def test_the_payout_minimum_reads_as_money(api_client):
    affiliate = portal_affiliate()
    wallet = PayoutWalletFactory(affiliate=affiliate)
    CommissionLedgerFactory(introducer=affiliate, commission_amount=Decimal("75"))
    set_setting("affiliates.minimum_payout", "150", value_type="decimal")
    log_in(api_client, affiliate)

    response = api_client.post(reverse("affiliate:payout-request-list"), {"payout_wallet_id": wallet.pk})

    assert response.json()["error"]["message"] == (
        "The approved commissions (75.00 USD) do not reach the minimum payout (150.00 USD)."
    )


def test_the_admin_statement_shows_amounts_as_money(client, finance_officer):
    wallet = fund(WalletFactory(), "1000")
    client.force_login(finance_officer)
    params = admin_statement_period()

    page = client.get(reverse("admin:wallets_wallet_statement", args=[wallet.pk]), params).content.decode()

    assert "1,000.00 USD" in page
    assert "0.00 USD" in page  # the opening balance
    assert "E-8" not in page
    assert "1000.00000000" not in page
